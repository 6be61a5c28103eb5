//! `--fix-dir DIR`: the remediation manifests of the failing rules written as files,
//! plus a PLAN.md that lists them in the order the upgrade guide performs the steps.
//! Only manifests the rules computed are written; nothing read from the input that is
//! secret (private keys, Secret values) is ever copied here.

use crate::sources::safe_name;
use std::collections::BTreeMap;
use std::path::Path;

use super::yaml::to_yaml;
use super::Report;
use crate::findings::{Finding, ManifestKind, Status};

/// The upgrade guide's steps (v0.10 -> v1.0), in order, with the rules that check each.
/// karmada-apiserver is stopped before the Cluster CRD is deleted from etcd and started
/// again only after its certificates and flags are updated, so "scale back" is a step of
/// its own between the flags and the aggregated apiserver.
const GUIDE_STEPS: &[(&str, &[&str])] = &[
    (
        "Before you start: what must be true before touching the control plane",
        &[
            "karmada-version-path",
            "replicaschedulingpolicy-removed",
            "mcs-member-version",
            "endpointslice-v1beta1-usage",
            "member-k8s-1.24-needs-patch",
        ],
    ),
    (
        "Scale karmada-apiserver to 0 and delete the Cluster CRD from etcd",
        &["cluster-crd-removed"],
    ),
    (
        "Front-proxy certificates",
        &["front-proxy-cert-secret", "front-proxy-certs-valid"],
    ),
    (
        "karmada-apiserver flags and image",
        &["apiserver-front-proxy-flags", "karmada-apiserver-version"],
    ),
    (SCALE_BACK, &[]),
    (
        "Deploy karmada-aggregated-apiserver",
        &[
            "aggregated-apiserver-deployed",
            "aggregated-apiserver-service-link",
        ],
    ),
    ("Register the APIService", &["cluster-apiservice"]),
    (
        "Agent RBAC in pull-mode members",
        &["agent-impersonate-rbac"],
    ),
    ("Verify", &["cluster-impersonator-secret"]),
];

const SCALE_BACK: &str = "Scale karmada-apiserver back up";

/// Rule names in guide order; rules not listed come after, by name.
const GUIDE_ORDER: &[&str] = &[
    "karmada-version-path",
    "replicaschedulingpolicy-removed",
    "mcs-member-version",
    "endpointslice-v1beta1-usage",
    "member-k8s-1.24-needs-patch",
    "cluster-crd-removed",
    "front-proxy-cert-secret",
    "front-proxy-certs-valid",
    "apiserver-front-proxy-flags",
    "karmada-apiserver-version",
    "aggregated-apiserver-deployed",
    "aggregated-apiserver-service-link",
    "cluster-apiservice",
    "agent-impersonate-rbac",
    "cluster-impersonator-secret",
];

fn needs_fix(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Action | Status::Blocker)
}

pub fn order_key(rule: &str) -> (usize, String) {
    let i = GUIDE_ORDER
        .iter()
        .position(|r| *r == rule)
        .unwrap_or(GUIDE_ORDER.len());
    (i, rule.to_string())
}

pub fn write(report: &Report, dir: &Path) -> std::io::Result<Vec<String>> {
    safe_name::create_dir(dir)?;
    let mut written = Vec::new();
    // Several findings may patch the same object: merge JSON patches per file.
    let mut files: BTreeMap<String, (ManifestKind, serde_json::Value)> = BTreeMap::new();
    let mut fixes: Vec<&Finding> = report.findings.iter().filter(|f| needs_fix(f)).collect();
    fixes.sort_by_key(|f| order_key(&f.rule));
    for f in &fixes {
        for m in f.remediation.iter().flat_map(|r| &r.manifests) {
            match files.get_mut(&m.file_name) {
                Some((ManifestKind::JsonPatch, serde_json::Value::Array(ops))) => {
                    if let serde_json::Value::Array(more) = &m.content {
                        for op in more {
                            if !ops.contains(op) {
                                ops.push(op.clone());
                            }
                        }
                    }
                }
                Some(_) => {}
                None => {
                    files.insert(m.file_name.clone(), (m.kind, m.content.clone()));
                }
            }
        }
    }
    for (name, (kind, content)) in &files {
        let text = match kind {
            ManifestKind::Apply => to_yaml(content),
            _ => serde_json::to_string_pretty(content).unwrap_or_default() + "\n",
        };
        safe_name::write_file(dir, name, text.as_bytes(), false)?;
        written.push(safe_name::confine(name));
    }
    let plan = plan_text(report, &fixes);
    safe_name::write_file(dir, "PLAN.md", plan.as_bytes(), false)?;
    written.push("PLAN.md".into());
    Ok(written)
}

/// Where the cluster-crd-removed commands stop being "stop and delete" and become "start
/// again": the last `scale` to a non-zero replica count, with its comment line.
fn scale_back_split(commands: &[String]) -> usize {
    let Some(i) = commands.iter().rposition(|c| {
        c.contains(" scale ") && c.contains("--replicas=") && !c.contains("--replicas=0")
    }) else {
        return commands.len();
    };
    if i > 0 && commands[i - 1].starts_with('#') {
        i - 1
    } else {
        i
    }
}

fn push_commands(plan: &mut String, commands: &[String]) {
    if commands.is_empty() {
        return;
    }
    plan.push_str("\n```sh\n");
    for c in commands {
        plan.push_str(c);
        plan.push('\n');
    }
    plan.push_str("```\n");
}

fn push_fix(plan: &mut String, f: &Finding, commands: &[String]) {
    plan.push_str(&format!(
        "\n### [ ] {} ({}) — {}\n\n{}\n",
        f.rule, f.id, f.status, f.message
    ));
    if let Some(loc) = &f.location {
        plan.push_str(&format!("\nAt `{loc}`.\n"));
    }
    let Some(r) = &f.remediation else { return };
    plan.push_str(&format!("\n{}\n", r.summary));
    push_commands(plan, commands);
    for m in &r.manifests {
        plan.push_str(&format!(
            "\n- `{}` ({:?}, apply to {})\n",
            m.file_name, m.kind, m.apply_to
        ));
    }
}

/// PLAN.md: the guide's steps in order; under each, what is already done (passing
/// findings), what is still to do (with the computed commands and files) and what could
/// not be checked.
fn plan_text(report: &Report, fixes: &[&Finding]) -> String {
    let mut plan = String::from("# Upgrade plan computed by karmada-preflight\n\n");
    plan.push_str(&format!(
        "Phase: {} ({}). Generated {}.\n\nThe steps of the upgrade guide, in order; run each against the \
         cluster named. `[x]` is already done, `[ ]` still to do, `[?]` could not be checked from the input.\n",
        report.phase, report.phase_reason, report.generated_at
    ));
    let listed: Vec<&str> = GUIDE_STEPS
        .iter()
        .flat_map(|(_, r)| r.iter().copied())
        .collect();
    let crd_fix = fixes.iter().find(|f| f.rule == "cluster-crd-removed");
    let mut others: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.rule.as_str())
        .filter(|r| !listed.contains(r))
        .collect();
    others.sort();
    others.dedup();
    let other_step = [("Other checks", others)];
    let steps = GUIDE_STEPS
        .iter()
        .map(|(t, r)| (*t, r.to_vec()))
        .chain(other_step.into_iter().filter(|(_, r)| !r.is_empty()));
    for (n, (title, rules)) in steps.enumerate() {
        plan.push_str(&format!("\n## {}. {title}\n", n + 1));
        if title == SCALE_BACK {
            match crd_fix.and_then(|f| f.remediation.as_ref()) {
                Some(r) => {
                    let tail = &r.commands[scale_back_split(&r.commands)..];
                    plan.push_str("\nOnly once the certificates and flags above are in place:\n");
                    push_commands(&mut plan, tail);
                }
                None => plan.push_str("\n- [x] karmada-apiserver does not need to be stopped for the remaining steps.\n"),
            }
            continue;
        }
        let mut any = false;
        for rule in rules {
            for f in report.findings.iter().filter(|f| f.rule == rule) {
                any = true;
                match f.status {
                    Status::Pass => plan.push_str(&format!("\n- [x] {}: {}\n", f.rule, f.message)),
                    Status::Unknown => {
                        plan.push_str(&format!("\n- [?] {}: {}\n", f.rule, f.message))
                    }
                    Status::Skip => plan.push_str(&format!("\n- [-] {}: {}\n", f.rule, f.message)),
                    Status::Suppressed => {}
                    _ if needs_fix(f) => {
                        let cmds = f
                            .remediation
                            .as_ref()
                            .map(|r| r.commands.as_slice())
                            .unwrap_or(&[]);
                        let cmds = if f.rule == "cluster-crd-removed" {
                            &cmds[..scale_back_split(cmds)]
                        } else {
                            cmds
                        };
                        push_fix(&mut plan, f, cmds);
                    }
                    _ => {}
                }
            }
        }
        if !any {
            plan.push_str("\n- not checked (no rule of this step ran)\n");
        }
    }
    plan
}

/// Rules whose failures a fresh front-proxy pair fixes.
const FRONT_PROXY_RULES: &[&str] = &["front-proxy-cert-secret", "front-proxy-certs-valid"];

/// How long `--generate-front-proxy-certs` certificates last: 5 years, the expiry of
/// the signing profile `hack/deploy-karmada.sh` uses (43800h).
const GENERATED_VALIDITY_DAYS: u32 = 1825;

/// `--generate-front-proxy-certs`: when a front-proxy rule needs a fix, write a fresh
/// front-proxy CA and client certificate into `DIR/front-proxy/` and, per Secret to
/// change, a merge patch filled with their base64. Every file is created with mode 0600
/// because it holds (or embeds) a private key; nothing here goes to stdout, and nothing
/// read from the input is copied. Returns the files written (relative to `dir`).
pub fn write_generated_front_proxy(report: &Report, dir: &Path) -> std::io::Result<Vec<String>> {
    use base64::Engine as _;
    let wanted: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| needs_fix(f) && FRONT_PROXY_RULES.contains(&f.rule.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let pair = crate::certs::generate_front_proxy_pair(GENERATED_VALIDITY_DAYS)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let sub = dir.join("front-proxy");
    safe_name::create_dir(&sub)?;
    let mut written = Vec::new();
    let files = [
        ("front-proxy-ca.crt", &pair.ca_cert_pem),
        ("front-proxy-ca.key", &pair.ca_key_pem),
        ("front-proxy-client.crt", &pair.client_cert_pem),
        ("front-proxy-client.key", &pair.client_key_pem),
    ];
    for (name, pem) in files {
        write_private(&sub.join(name), pem.as_bytes())?;
        written.push(format!("front-proxy/{name}"));
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let by_key = |key: &str| match key {
        "front-proxy-ca.crt" => Some(b64(&pair.ca_cert_pem)),
        "front-proxy-client.crt" => Some(b64(&pair.client_cert_pem)),
        "front-proxy-client.key" => Some(b64(&pair.client_key_pem)),
        _ => None,
    };
    // One filled patch per Secret: the keys the rule's own patch names, else (a
    // certificate problem on an existing Secret) all three.
    let mut patches: BTreeMap<String, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
    for f in &wanted {
        let Some(secret) = f.object.as_ref().filter(|o| o.kind == "Secret") else {
            continue;
        };
        let name = crate::checks::support::naming::fix_file(
            secret,
            "front-proxy.generated.merge-patch.json",
        );
        let data = patches.entry(name).or_default();
        let keys: Vec<String> = f
            .remediation
            .iter()
            .flat_map(|r| &r.manifests)
            .filter(|m| m.target.as_ref() == Some(secret))
            .filter_map(|m| m.content.get("data").and_then(|d| d.as_object()))
            .flat_map(|d| d.keys().cloned())
            .collect();
        let keys = if keys.is_empty() {
            [
                "front-proxy-ca.crt",
                "front-proxy-client.crt",
                "front-proxy-client.key",
            ]
            .map(String::from)
            .to_vec()
        } else {
            keys
        };
        for k in keys {
            if let Some(v) = by_key(&k) {
                data.insert(k, serde_json::Value::String(v));
            }
        }
    }
    for (name, data) in patches {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "data": data }))
            .unwrap_or_default()
            + "\n";
        write_private(&dir.join(&name), text.as_bytes())?;
        written.push(name);
    }
    Ok(written)
}

/// Create or replace `path` readable by its owner only, never through a link planted
/// there (see [`safe_name::write_file`]).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Err(std::io::Error::other(format!(
            "bad path {}",
            path.display()
        )));
    };
    safe_name::write_file(dir, name, bytes, true).map(|_| ())
}
