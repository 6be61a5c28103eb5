//! `--fix-dir DIR`: the remediation manifests of the failing rules written as files,
//! plus a PLAN.md that lists them in the order the upgrade guide performs the steps.
//! Only manifests the rules computed are written; nothing read from the input that is
//! secret (private keys, Secret values) is ever copied here.

use std::collections::BTreeMap;
use std::path::Path;

use super::yaml::to_yaml;
use super::Report;
use crate::findings::{Finding, ManifestKind, Status};

/// Order of the guide's steps, by rule name; rules not listed come after, by name.
const GUIDE_ORDER: &[&str] = &[
    "karmada-version-path",
    "replicaschedulingpolicy-removed",
    "cluster-crd-removed",
    "front-proxy-cert-secret",
    "front-proxy-certs-valid",
    "apiserver-front-proxy-flags",
    "karmada-apiserver-version",
    "aggregated-apiserver-deployed",
    "aggregated-apiserver-service-link",
    "cluster-apiservice",
    "agent-impersonate-rbac",
    "mcs-member-version",
    "endpointslice-v1beta1-usage",
    "member-k8s-1.24-needs-patch",
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
    std::fs::create_dir_all(dir)?;
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
        std::fs::write(dir.join(name), text)?;
        written.push(name.clone());
    }
    let mut plan = String::from("# Upgrade plan computed by karmada-preflight\n\n");
    plan.push_str(&format!(
        "Phase: {} ({}). Generated {}.\n\nSteps in the order of the upgrade guide; run each against the cluster named.\n",
        report.phase, report.phase_reason, report.generated_at
    ));
    let mut step = 0;
    for f in &fixes {
        let Some(r) = &f.remediation else { continue };
        step += 1;
        plan.push_str(&format!("\n## {step}. {} — {}\n\n", f.rule, f.status));
        plan.push_str(&format!("{}\n\n{}\n", f.message, r.summary));
        if !r.commands.is_empty() {
            plan.push_str("\n```sh\n");
            for c in &r.commands {
                plan.push_str(c);
                plan.push('\n');
            }
            plan.push_str("```\n");
        }
        for m in &r.manifests {
            plan.push_str(&format!(
                "\n- `{}` ({:?}, apply to {})\n",
                m.file_name, m.kind, m.apply_to
            ));
        }
    }
    let done: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Pass)
        .collect();
    if !done.is_empty() {
        plan.push_str("\n## Already done\n\n");
        for f in done {
            plan.push_str(&format!("- [x] {}: {}\n", f.rule, f.message));
        }
    }
    std::fs::write(dir.join("PLAN.md"), plan)?;
    written.push("PLAN.md".into());
    Ok(written)
}
