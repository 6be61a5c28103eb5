//! `--fix-dir DIR`: the remediation manifests of the failing rules written as files,
//! plus a PLAN.md that lists them in the order the upgrade guide performs the steps.
//! Only manifests the rules computed are written; nothing read from the input that is
//! secret (private keys, Secret values) is ever copied here.

use crate::sources::safe_name;
use std::collections::BTreeMap;
use std::path::Path;

use super::Report;
use crate::findings::{Finding, FixStep, ManifestKind, Status};
use crate::text::to_yaml;

fn needs_fix(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Action | Status::Blocker)
}

/// A section of PLAN.md: a guide step (from the rules' `guide:`), or the rules that have
/// none, last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Section {
    step: u32,
    title: String,
}

const OTHER: &str = "Other checks";

fn section_of(report: &Report, rule: &str) -> Section {
    match report.rule(rule).and_then(|r| r.guide.as_ref()) {
        Some(g) => Section {
            step: g.step,
            title: g.title.clone(),
        },
        None => Section {
            step: u32::MAX,
            title: OTHER.into(),
        },
    }
}

/// Fixes are written and listed in guide order; rules outside the guide after, by name.
fn order_key(report: &Report, rule: &str) -> (u32, String) {
    (section_of(report, rule).step, rule.to_string())
}

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

pub fn write(report: &Report, dir: &Path) -> std::io::Result<Vec<String>> {
    prepare_dir(dir)?;
    let mut written = Vec::new();
    // Several findings may patch the same object: merge JSON patches per file.
    let mut files: BTreeMap<String, (ManifestKind, serde_json::Value)> = BTreeMap::new();
    let mut fixes: Vec<&Finding> = report.findings.iter().filter(|f| needs_fix(f)).collect();
    fixes.sort_by_key(|f| order_key(report, &f.rule));
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
    record_written(dir, &written)?;
    Ok(written)
}

/// A fix's steps before and from its first restoring step (with the note introducing
/// it): the second part belongs to the rule's `guide.restore` step.
fn split_restore(steps: &[FixStep]) -> (&[FixStep], &[FixStep]) {
    let Some(mut i) = steps.iter().position(FixStep::restores) else {
        return (steps, &[]);
    };
    if i > 0 && matches!(steps[i - 1], FixStep::Note(_)) {
        i -= 1;
    }
    steps.split_at(i)
}

fn commands_of(steps: &[FixStep]) -> Vec<String> {
    steps.iter().filter_map(FixStep::command).collect()
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
    // The hop tells which upgrade of a multi-hop path the step (or release note) is for.
    let hop = f
        .hop
        .as_deref()
        .map(|h| format!(", {h}"))
        .unwrap_or_default();
    plan.push_str(&format!(
        "\n### [ ] {} ({}{hop}) — {}\n\n{}\n",
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

/// PLAN.md: the guide's steps in order (taken from the rules' `guide:`); under each, what
/// is already done (passing findings), what is still to do (with the computed commands
/// and files) and what could not be checked. A step that restores what an earlier fix
/// stopped lists the restoring commands of those fixes.
fn plan_text(report: &Report, fixes: &[&Finding]) -> String {
    let mut plan = String::from("# Upgrade plan computed by karmada-preflight\n\n");
    plan.push_str(&format!(
        "Phase: {} ({}). Generated {}.\n\nThe steps of the upgrade guide, in order; run each against the \
         cluster named. `[x]` is already done, `[ ]` still to do, `[?]` could not be checked from the input.\n",
        report.phase, report.phase_reason, report.generated_at
    ));
    // Sections: every guide step of the rules that ran, their restore steps, and the
    // rules without a guide step.
    let mut sections: BTreeMap<Section, Vec<&str>> = BTreeMap::new();
    let mut restores: BTreeMap<Section, Vec<&str>> = BTreeMap::new();
    let ran: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    for info in report
        .rules
        .iter()
        .filter(|r| ran.contains(&r.name.as_str()))
    {
        if let Some(g) = &info.guide {
            if let Some(r) = &g.restore {
                let s = Section {
                    step: r.step,
                    title: r.title.clone(),
                };
                sections.entry(s.clone()).or_default();
                restores.entry(s).or_default().push(&info.name);
            }
        }
    }
    for f in &report.findings {
        let rules = sections.entry(section_of(report, &f.rule)).or_default();
        if !rules.contains(&f.rule.as_str()) {
            rules.push(&f.rule);
        }
    }
    let mut listed: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (n, (section, rules)) in sections.iter_mut().enumerate() {
        plan.push_str(&format!("\n## {}. {}\n", n + 1, section.title));
        rules.sort();
        if let Some(undo) = restores.get(section) {
            let steps: Vec<String> = fixes
                .iter()
                .filter(|f| undo.contains(&f.rule.as_str()))
                .filter_map(|f| f.remediation.as_ref())
                .flat_map(|r| commands_of(split_restore(&r.step_list()).1))
                .collect();
            if steps.is_empty() {
                plan.push_str("\n- [x] nothing the steps above stop needs starting again.\n");
            } else {
                plan.push_str("\nOnly once the steps between are in place:\n");
                push_commands(&mut plan, &steps);
            }
        }
        let mut any = restores.contains_key(section);
        // A command an earlier fix already listed (one merged patch file serving two rules)
        // is not listed again: the second `kubectl patch` would fail its own tests.
        for rule in rules.iter() {
            for f in report.findings.iter().filter(|f| f.rule == *rule) {
                any = true;
                match f.status {
                    Status::Pass => plan.push_str(&format!("\n- [x] {}: {}\n", f.rule, f.message)),
                    Status::Unknown => {
                        plan.push_str(&format!("\n- [?] {}: {}\n", f.rule, f.message))
                    }
                    Status::Skip => plan.push_str(&format!("\n- [-] {}: {}\n", f.rule, f.message)),
                    Status::Suppressed => {}
                    _ if needs_fix(f) => {
                        let steps = f
                            .remediation
                            .as_ref()
                            .map(|r| r.step_list())
                            .unwrap_or_default();
                        let (fresh, repeated): (Vec<String>, Vec<String>) =
                            commands_of(split_restore(&steps).0)
                                .into_iter()
                                .partition(|c| !listed.contains(c));
                        push_fix(&mut plan, f, &fresh);
                        for c in &repeated {
                            plan.push_str(&format!(
                                "\nAlready done by a step above (run it once): `{c}`\n"
                            ));
                        }
                        listed.extend(fresh);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Remediation;
    use crate::reports::RuleInfo;
    use crate::rules::GuideStep;
    use crate::upgrade::{Phase, PhaseDecision};

    fn rule(name: &str, guide: Option<GuideStep>) -> RuleInfo {
        RuleInfo {
            id: name.to_uppercase(),
            name: name.into(),
            pack: "house".into(),
            title: String::new(),
            checks: String::new(),
            why: String::new(),
            fix: String::new(),
            docs: None,
            post: None,
            pre: None,
            guide,
        }
    }

    fn step(step: u32, title: &str) -> GuideStep {
        GuideStep {
            step,
            title: title.into(),
            restore: None,
        }
    }

    fn finding(rule: &str, status: Status, steps: Vec<FixStep>) -> Finding {
        Finding {
            rule: rule.into(),
            id: rule.to_uppercase(),
            pack: "house".into(),
            status,
            severity: None,
            message: format!("{rule} says so"),
            object: None,
            location: None,
            evidence: Vec::new(),
            remediation: Some(Remediation::from_steps("fix it".into(), steps)),
            hop: None,
            suppressed_by: None,
            fingerprint: String::new(),
        }
    }

    /// The plan comes from the rules' guide metadata and typed steps alone: any rule
    /// can stop a workload and have it started again in a later step.
    #[test]
    fn guide_steps_and_restore_steps_come_from_rule_metadata() {
        let scale = |replicas: Option<u64>| {
            let (kubectl_flags, namespace, kind, name) = (
                "--context host".to_string(),
                "ns".to_string(),
                "deployment".to_string(),
                "db".to_string(),
            );
            match replicas {
                None => FixStep::ScaleDown {
                    kubectl_flags,
                    namespace,
                    kind,
                    name,
                },
                Some(replicas) => FixStep::ScaleUp {
                    kubectl_flags,
                    namespace,
                    kind,
                    name,
                    replicas,
                },
            }
        };
        let mut stop = step(1, "Stop the database");
        stop.restore = Some(Box::new(step(3, "Start the database")));
        let decision = PhaseDecision {
            phase: Phase::Pre,
            reason: "test".into(),
            detected: false,
            karmada_version: None,
            version: None,
        };
        let findings = vec![
            finding(
                "unguided",
                Status::Fail,
                vec![FixStep::Run("echo other".into())],
            ),
            finding(
                "migrate",
                Status::Action,
                vec![FixStep::Run("echo migrate".into())],
            ),
            finding(
                "stop-db",
                Status::Action,
                vec![
                    scale(None),
                    FixStep::Note("then start it".into()),
                    scale(Some(3)),
                ],
            ),
        ];
        let mut report = Report::new(
            &decision,
            Vec::new(),
            findings,
            time::OffsetDateTime::UNIX_EPOCH,
        );
        report.rules = vec![
            rule("stop-db", Some(stop)),
            rule("migrate", Some(step(2, "Migrate"))),
            rule("unguided", None),
        ];
        let fixes: Vec<&Finding> = report.findings.iter().collect();
        let plan = plan_text(&report, &fixes);
        let at = |s: &str| plan.find(s).unwrap_or_else(|| panic!("{s} not in\n{plan}"));
        let order = [
            "## 1. Stop the database",
            "scale deployment db --replicas=0",
            "## 2. Migrate",
            "echo migrate",
            "## 3. Start the database",
            "# then start it",
            "scale deployment db --replicas=3",
            "## 4. Other checks",
            "echo other",
        ];
        for w in order.windows(2) {
            assert!(at(w[0]) < at(w[1]), "{} before {}:\n{plan}", w[0], w[1]);
        }
        assert_eq!(plan.matches("--replicas=3").count(), 1, "{plan}");
    }
}
