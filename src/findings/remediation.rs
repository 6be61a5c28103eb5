//! Remediation computed from the state seen: commands and apply-able manifests.

use serde::Serialize;

use crate::inventory::ObjectRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestKind {
    /// A complete object for `kubectl apply -f`.
    Apply,
    /// An RFC 6902 JSON patch for `kubectl patch --type=json`.
    JsonPatch,
    /// A strategic/merge patch for `kubectl patch --type=merge`.
    MergePatch,
}

/// One file of a fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// File name to write under `--fix-dir`.
    pub file_name: String,
    pub kind: ManifestKind,
    /// Which cluster to apply it to: `karmada`, `host` or `member/<name>`.
    pub apply_to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<ObjectRef>,
    /// The content as JSON (YAML text is rendered from it when written).
    pub content: serde_json::Value,
}

/// One typed step of a fix, so reports order and place steps (PLAN.md puts a `ScaleUp`
/// under the guide step that restores it) without parsing command text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixStep {
    /// A line of explanation for the operator (rendered as a `#` comment).
    Note(String),
    /// Stop a workload for the duration of a fix.
    ScaleDown {
        /// kubectl flags naming the cluster, e.g. `--context karmada-host`.
        kubectl_flags: String,
        namespace: String,
        /// `deployment`, `statefulset`, ...
        kind: String,
        name: String,
    },
    /// Start it again with the replicas it had; a later guide step when the rule says so.
    ScaleUp {
        kubectl_flags: String,
        namespace: String,
        kind: String,
        name: String,
        replicas: u64,
    },
    /// An `etcdctl` invocation (complete command line).
    Etcdctl(String),
    /// Any other command line (kubectl apply/patch of the manifests, a verification).
    Run(String),
    /// A fresh front-proxy CA and client pair fixes this (`--generate-front-proxy-certs`).
    GenerateFrontProxyPair,
}

impl FixStep {
    /// The command-line text of the step, if it has one.
    pub fn command(&self) -> Option<String> {
        match self {
            FixStep::Note(t) => Some(format!("# {t}")),
            FixStep::ScaleDown {
                kubectl_flags,
                namespace,
                kind,
                name,
            } => Some(format!(
                "kubectl {kubectl_flags} -n {namespace} scale {kind} {name} --replicas=0"
            )),
            FixStep::ScaleUp {
                kubectl_flags,
                namespace,
                kind,
                name,
                replicas,
            } => Some(format!(
                "kubectl {kubectl_flags} -n {namespace} scale {kind} {name} --replicas={replicas}"
            )),
            FixStep::Etcdctl(c) | FixStep::Run(c) => Some(c.clone()),
            FixStep::GenerateFrontProxyPair => None,
        }
    }

    /// Undoes a temporary part of the fix (belongs to the rule's `guide.restore` step).
    pub fn restores(&self) -> bool {
        matches!(self, FixStep::ScaleUp { .. })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Remediation {
    pub summary: String,
    /// The command lines of `steps`, for machine-readable reports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// The typed steps (reports render them; `commands` is their text).
    #[serde(skip)]
    pub steps: Vec<FixStep>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<Manifest>,
    /// A before/after view of the lines to change, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl Remediation {
    /// A remediation made of typed steps; `commands` is rendered from them.
    pub fn from_steps(summary: String, steps: Vec<FixStep>) -> Remediation {
        Remediation {
            summary,
            commands: steps.iter().filter_map(FixStep::command).collect(),
            steps,
            ..Default::default()
        }
    }

    /// Steps to show: the typed ones, else each command as a `Run` (or `Note` for a
    /// comment line), for remediations built from command text.
    pub fn step_list(&self) -> Vec<FixStep> {
        if !self.steps.is_empty() {
            return self.steps.clone();
        }
        self.commands
            .iter()
            .map(|c| match c.strip_prefix("# ") {
                Some(t) => FixStep::Note(t.to_string()),
                None => FixStep::Run(c.clone()),
            })
            .collect()
    }
}
