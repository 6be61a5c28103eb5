//! `--fix-dir DIR`: the remediation manifests of the failing rules written as files,
//! plus a PLAN.md that lists them in the order the upgrade guide performs the steps.
//! Only manifests the rules computed are written; nothing read from the input that is
//! secret (private keys, Secret values) is ever copied here.

use crate::sources::safe_name;
use std::collections::BTreeMap;
use std::path::Path;

use super::Report;
use crate::findings::{Finding, FixStep, ManifestKind};
use crate::text::to_yaml;

use super::plan::{needs_fix, order_key, plan_text, PlanFiles};

/// The files a run wrote into the fix dir, one per line, so the next run can remove
/// them: a reused fix dir must not keep a stale patch (least of all a 0600 key patch)
/// next to a new PLAN.md that does not mention it.
pub const WRITTEN_LIST: &str = ".karmada-preflight-written";

/// The folder of generated front-proxy certificates inside the fix dir.
const GENERATED_DIR: &str = "front-proxy";

/// A name from the written list as a path inside `dir`, or None when it is not one this
/// tool could have written (the list is read from disk: never trust it to point
/// elsewhere, e.g. `../x`).
fn listed_path(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    let ok = |n: &str| safe_name::confine(n) == n;
    match name.split_once('/') {
        None if ok(name) => Some(dir.join(name)),
        Some((GENERATED_DIR, rest)) if ok(rest) => Some(dir.join(GENERATED_DIR).join(rest)),
        _ => None,
    }
}

/// Make `dir` ready for a new plan: created if missing; the files an earlier run wrote
/// (its written list) removed; refused, with nothing removed, when it holds anything
/// else, since those are files the tool did not write and must not delete or mix with.
pub fn prepare_dir(dir: &Path) -> std::io::Result<()> {
    safe_name::create_dir(dir)?;
    let list = dir.join(WRITTEN_LIST);
    let ours: Vec<String> = match std::fs::read_to_string(&list) {
        Ok(text) => text
            .lines()
            .map(str::trim)
            .filter(|l| listed_path(dir, l).is_some())
            .map(String::from)
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if name == WRITTEN_LIST {
            continue;
        }
        if name == GENERATED_DIR && kind.is_dir() {
            for inner in std::fs::read_dir(entry.path())? {
                let inner = format!("{GENERATED_DIR}/{}", inner?.file_name().to_string_lossy());
                if !ours.contains(&inner) {
                    foreign.push(inner);
                }
            }
        } else if kind.is_dir() || !ours.contains(&name) {
            foreign.push(name);
        }
    }
    if !foreign.is_empty() {
        foreign.sort();
        let more = foreign.len().saturating_sub(5);
        foreign.truncate(5);
        return Err(std::io::Error::other(format!(
            "{} holds files karmada-preflight did not write ({}{}); give an empty or new \
             folder, or move them away",
            dir.display(),
            foreign.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )));
    }
    for name in &ours {
        if let Some(p) = listed_path(dir, name) {
            match std::fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    let _ = std::fs::remove_dir(dir.join(GENERATED_DIR));
    match std::fs::remove_file(&list) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Add `names` (relative to `dir`) to the written list.
fn record_written(dir: &Path, names: &[String]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(WRITTEN_LIST))?;
    for n in names {
        writeln!(f, "{n}")?;
    }
    Ok(())
}

/// What `write` put into the fix dir (relative names).
#[derive(Debug, Default)]
pub struct Written {
    pub files: Vec<String>,
    /// The generated front-proxy certificates and filled patches (mode 0600), a subset.
    pub generated: Vec<String>,
}

/// Write the fixes and PLAN.md; with `generate_front_proxy`, also a fresh front-proxy CA
/// and client pair and the patches filled with them, which PLAN.md then uses.
pub fn write(report: &Report, dir: &Path, generate_front_proxy: bool) -> std::io::Result<Written> {
    prepare_dir(dir)?;
    let mut written = Vec::new();
    // Several findings may patch the same object: merge JSON patches per file.
    let mut files: BTreeMap<String, (ManifestKind, serde_json::Value)> = BTreeMap::new();
    let mut fixes: Vec<&Finding> = report.findings.iter().filter(|f| needs_fix(f)).collect();
    fixes.sort_by_key(|f| order_key(report, f));
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
    record_written(dir, &written)?;
    let mut plan_files = PlanFiles::default();
    let generated = if generate_front_proxy {
        write_generated_front_proxy(report, dir, &mut plan_files)?
    } else {
        Vec::new()
    };
    let plan = plan_text(report, &fixes, &plan_files);
    safe_name::write_file(dir, "PLAN.md", plan.as_bytes(), false)?;
    record_written(dir, &["PLAN.md".to_string()])?;
    written.push("PLAN.md".into());
    written.extend(generated.iter().cloned());
    Ok(Written {
        files: written,
        generated,
    })
}

/// How long `--generate-front-proxy-certs` certificates last: 5 years, the expiry of
/// the signing profile `hack/deploy-karmada.sh` uses (43800h).
const GENERATED_VALIDITY_DAYS: u32 = 1825;

/// `--generate-front-proxy-certs`: when a front-proxy rule needs a fix, write a fresh
/// front-proxy CA and client certificate into `DIR/front-proxy/` and, per Secret to
/// change, a merge patch filled with their base64. Every file is created with mode 0600
/// because it holds (or embeds) a private key; nothing here goes to stdout, and nothing
/// read from the input is copied. Returns the files written (relative to `dir`).
fn write_generated_front_proxy(
    report: &Report,
    dir: &Path,
    plan_files: &mut PlanFiles,
) -> std::io::Result<Vec<String>> {
    use base64::Engine as _;
    let wanted: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| {
            needs_fix(f)
                && f.remediation
                    .iter()
                    .any(|r| r.steps.contains(&FixStep::GenerateFrontProxyPair))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let pair = crate::certs::generate_front_proxy_pair(GENERATED_VALIDITY_DAYS)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let sub = dir.join(GENERATED_DIR);
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
        let Some(secret) = f.object.as_ref().filter(|o| o.kind() == "Secret") else {
            continue;
        };
        let name = crate::checks::support::naming::fix_file(
            secret,
            "front-proxy.generated.merge-patch.json",
        );
        plan_files
            .generated_patches
            .insert(secret.to_string(), name.clone());
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
    record_written(dir, &written)?;
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
