//! Remediation computed from the state seen: commands and apply-able manifests.

use serde::{Deserialize, Serialize};

use crate::inventory::ObjectRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// An `etcdctl` invocation (complete command line): inside the etcd pod when it starts
    /// with `kubectl … exec`, else on a machine that reaches etcd.
    Etcdctl(String),
    /// Any other command line (kubectl apply/patch of the manifests). Where it runs is the
    /// `--context` it names (see [`RunsOn::of_command`]).
    Run(String),
    /// A command that shows the step took effect; run right after the step.
    Verify(String),
    /// Only to undo the step if it went wrong (e.g. an etcd snapshot restore); never part
    /// of the forward path.
    Rollback(String),
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
            FixStep::Etcdctl(c) | FixStep::Run(c) | FixStep::Verify(c) => Some(c.clone()),
            FixStep::Rollback(c) => Some(format!("# only to roll back: {c}")),
            FixStep::GenerateFrontProxyPair => None,
        }
    }

    /// Where the step's command runs (None for notes and the generation marker).
    pub fn runs_on(&self) -> Option<RunsOn> {
        match self {
            FixStep::ScaleDown { kubectl_flags, .. } | FixStep::ScaleUp { kubectl_flags, .. } => {
                Some(RunsOn::of_command(&format!("kubectl {kubectl_flags}")))
            }
            // On the etcd machine also the kubectl lines that copy its certificates there.
            FixStep::Etcdctl(c) if RunsOn::of_command(c) == RunsOn::EtcdPod => {
                Some(RunsOn::EtcdPod)
            }
            FixStep::Etcdctl(_) => Some(RunsOn::EtcdMachine),
            FixStep::Run(c) | FixStep::Verify(c) | FixStep::Rollback(c) => {
                Some(RunsOn::of_command(c))
            }
            FixStep::Note(_) | FixStep::GenerateFrontProxyPair => None,
        }
    }

    /// Undoes a temporary part of the fix (belongs to the rule's `guide.restore` step).
    pub fn restores(&self) -> bool {
        matches!(self, FixStep::ScaleUp { .. })
    }
}

/// Where an operator runs a command of the plan. PLAN.md marks every command block with
/// it (` ```sh run=host `), so a person knows which kubeconfig context or machine to use
/// and a replay can dispatch the block.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunsOn {
    /// `kubectl --context karmada-host`: the cluster the control plane runs in.
    Host,
    /// `kubectl --context karmada-apiserver`: the Karmada API.
    Karmada,
    /// A member cluster's context (`<member>` when the input does not name it).
    Member(String),
    /// `kubectl --context karmada-host exec <etcd pod> -- etcdctl …`: inside the etcd pod,
    /// with that pod's certificate paths.
    EtcdPod,
    /// A machine that reaches the etcd endpoints, with the certificates copied there.
    EtcdMachine,
    /// The operator's workstation (openssl, files of the fix dir); no cluster access.
    Workstation,
}

impl RunsOn {
    /// Where a command line runs: the context a `kubectl` command names (`exec` into an
    /// etcd pod for `etcdctl`), `etcdctl` alone on a machine with etcd access, anything
    /// else on the workstation.
    pub fn of_command(c: &str) -> RunsOn {
        let words: Vec<&str> = c.split_whitespace().collect();
        match words.first().copied() {
            // helm names the cluster with --kube-context: the same places as kubectl.
            Some("kubectl") | Some("helm") => {}
            Some("etcdctl") => return RunsOn::EtcdMachine,
            Some(w) if w.starts_with("ETCDCTL_") => return RunsOn::EtcdMachine,
            _ => return RunsOn::Workstation,
        }
        if words.contains(&"exec") && words.contains(&"etcdctl") {
            return RunsOn::EtcdPod;
        }
        let context = words
            .iter()
            .position(|w| *w == "--context" || *w == "--kube-context")
            .and_then(|i| words.get(i + 1).copied())
            .or_else(|| words.iter().find_map(|w| w.strip_prefix("--context=")))
            .or_else(|| words.iter().find_map(|w| w.strip_prefix("--kube-context=")));
        match context {
            Some("karmada-host") => RunsOn::Host,
            Some("karmada-apiserver") => RunsOn::Karmada,
            Some(m) => RunsOn::Member(m.to_string()),
            // kubectl without a context: the operator's current one, which the plan cannot
            // know; the host is where every install's own commands point.
            None => RunsOn::Host,
        }
    }

    /// The marker in PLAN.md's fence info string: `host`, `karmada`, `member:<name>`,
    /// `etcd-pod`, `etcd-machine`, `workstation`.
    pub fn marker(&self) -> String {
        match self {
            RunsOn::Host => "host".into(),
            RunsOn::Karmada => "karmada".into(),
            RunsOn::Member(m) => format!("member:{m}"),
            RunsOn::EtcdPod => "etcd-pod".into(),
            RunsOn::EtcdMachine => "etcd-machine".into(),
            RunsOn::Workstation => "workstation".into(),
        }
    }

    /// The sentence PLAN.md puts before a block.
    pub fn describe(&self) -> String {
        match self {
            RunsOn::Host => "on the host cluster (kubeconfig context `karmada-host`)".into(),
            RunsOn::Karmada => {
                "against karmada-apiserver (kubeconfig context `karmada-apiserver`)".into()
            }
            RunsOn::Member(m) if m.starts_with('<') => {
                format!("in each member cluster running karmada-agent (context {m})")
            }
            RunsOn::Member(m) => format!("in member cluster `{m}` (kubeconfig context `{m}`)"),
            RunsOn::EtcdPod => {
                "inside the etcd pod, through `kubectl exec` from the host context (etcdctl and \
                 the certificate paths are the pod's own)"
                    .into()
            }
            RunsOn::EtcdMachine => "on a machine that reaches the etcd endpoints".into(),
            RunsOn::Workstation => "on your workstation, in the fix dir".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    pub summary: String,
    /// The command lines of `steps`, for machine-readable reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// The typed steps (reports render them; `commands` is their text).
    #[serde(skip)]
    pub steps: Vec<FixStep>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<Manifest>,
    /// A before/after view of the lines to change, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// A kubectl command that only reads and shows state (`rollout status`, `wait`, `auth
/// can-i`, `get` without saving it to a file): in a plan it verifies the step before it.
fn is_check(c: &str) -> bool {
    let words: Vec<&str> = c.split_whitespace().collect();
    if words.first() != Some(&"kubectl") || words.contains(&">") || words.contains(&">>") {
        return false;
    }
    let has = |w: &str| words.contains(&w);
    (has("rollout") && has("status")) || has("wait") || (has("auth") && has("can-i")) || has("get")
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
                None if is_check(c) => FixStep::Verify(c.clone()),
                None => FixStep::Run(c.clone()),
            })
            .collect()
    }
}
