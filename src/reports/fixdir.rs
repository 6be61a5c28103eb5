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
    std::fs::create_dir_all(&sub)?;
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

/// Create or replace `path` readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        opts.mode(0o600);
        // An existing file keeps its mode on open: tighten it before writing.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)
}
