//! PLAN.md of `--fix-dir`: the upgrade as an operator performs it, from the first line to
//! the last. Grouped by hop in path order, then by the guide steps of the rules (`guide:`);
//! every change is one item with its commands, each command block marked with where it
//! runs (` ```sh run=host `) and followed by a block that verifies it (` ```sh verify=host `).
//! The markers make the plan replayable by a program (tests/plan_replay.rs) without
//! making it harder to read: a Markdown renderer shows them as ordinary shell blocks.

use std::collections::{BTreeMap, HashSet};

use super::Report;
use crate::checks::support::naming::fix_file;
use crate::findings::{Finding, FixStep, Manifest, ManifestKind, RunsOn, Status};
use crate::k8s::MinorHop;

/// What the fix dir holds besides the rules' own manifests.
#[derive(Debug, Default)]
pub struct PlanFiles {
    /// Per Secret (`ObjectRef` text), the merge patch filled with the certificates that
    /// `--generate-front-proxy-certs` wrote (mode 0600).
    pub generated_patches: BTreeMap<String, String>,
}

pub(super) fn needs_fix(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Action | Status::Blocker)
}

/// Where a step sits: the hop (core rules, which belong to no hop, first; then the hops
/// in path order), then the guide step (rules without one last in their hop).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Section {
    hop: HopKey,
    step: u32,
    title: String,
}

/// The hop a section belongs to, in path order: core rules first, then each hop by its
/// minors.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum HopKey {
    Whole,
    Hop(MinorHop),
    /// A hop label no parser reads (a report written elsewhere): last, as written.
    Unparsed(String),
}

impl HopKey {
    fn of(label: Option<&str>) -> HopKey {
        match label {
            None => HopKey::Whole,
            Some(l) => MinorHop::parse(l)
                .map(HopKey::Hop)
                .unwrap_or_else(|| HopKey::Unparsed(l.to_string())),
        }
    }
    fn heading(&self) -> String {
        match self {
            HopKey::Whole => "Across the whole upgrade path".into(),
            HopKey::Hop(h) => format!("Hop {}", h.to_string().replace("->", "→")),
            HopKey::Unparsed(l) => format!("Hop {l}"),
        }
    }
}

const OTHER: &str = "Other changes of this hop";

fn section_of(report: &Report, f: &Finding) -> Section {
    let hop = HopKey::of(f.hop.as_deref());
    match report.rule(f.rule.name()).and_then(|r| r.guide.as_ref()) {
        Some(g) => Section {
            hop,
            step: g.step,
            title: g.title.clone(),
        },
        None => Section {
            hop,
            step: u32::MAX,
            title: if f.hop.is_some() {
                OTHER.into()
            } else {
                "Checks of the whole path".into()
            },
        },
    }
}

/// Fixes are written and listed in plan order.
pub(super) fn order_key(report: &Report, f: &Finding) -> (Section, String) {
    (section_of(report, f), f.rule.name().to_string())
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

/// The kubectl flags for a manifest's `apply_to` (`host`, `karmada`, `member/<name>`).
fn context_of(apply_to: &str) -> String {
    match apply_to {
        "karmada" => "--context karmada-apiserver".into(),
        "host" | "pool" => "--context karmada-host".into(),
        other => format!(
            "--context {}",
            other.strip_prefix("member/").unwrap_or(other)
        ),
    }
}

/// Kind, namespace and name a manifest changes: its target, else the object it holds.
fn manifest_object(m: &Manifest) -> Option<(String, Option<String>, String)> {
    if let Some(t) = &m.target {
        return Some((
            t.kind().to_string(),
            t.namespace().map(str::to_string),
            t.name.to_string(),
        ));
    }
    let s = |p: &str| {
        m.content
            .pointer(p)
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    Some((s("/kind")?, s("/metadata/namespace"), s("/metadata/name")?))
}

fn ns_flag(ns: Option<&str>) -> String {
    ns.map(|n| format!(" -n {n}")).unwrap_or_default()
}

/// The command that applies a manifest file.
fn manifest_command(m: &Manifest, file: &str) -> Option<String> {
    let ctx = context_of(&m.apply_to);
    if m.kind == ManifestKind::Apply {
        return Some(format!("kubectl {ctx} apply -f {file}"));
    }
    let (kind, ns, name) = manifest_object(m)?;
    let ty = if m.kind == ManifestKind::JsonPatch {
        "json"
    } else {
        "merge"
    };
    Some(format!(
        "kubectl {ctx}{} patch {} {name} --type={ty} --patch-file {file}",
        ns_flag(ns.as_deref()),
        kind.to_lowercase()
    ))
}

/// `/spec/containers/0/image` as the jsonpath `{.spec.containers[0].image}`.
fn jsonpath_of(pointer: &str) -> String {
    let mut out = String::from("{");
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
        } else {
            out.push('.');
            out.push_str(&part.replace('.', "\\."));
        }
    }
    out.push('}');
    out
}

/// A read-only command showing that a manifest took effect; never prints a Secret value.
fn manifest_verify(m: &Manifest) -> Option<(Option<String>, String)> {
    let ctx = context_of(&m.apply_to);
    let (kind, ns, name) = manifest_object(m)?;
    let lower = kind.to_lowercase();
    let n = ns_flag(ns.as_deref());
    // A JSON patch shows its new values field by field (its workload may be scaled to 0
    // at this point, where a rollout says nothing).
    if m.kind == ManifestKind::JsonPatch && kind != "Secret" {
        // The field an add or replace set; for a removal (or an append), the list it
        // changed, which no longer holds (or now holds) the item.
        let mut paths: Vec<String> = Vec::new();
        for op in m.content.as_array()? {
            let Some(path) = op["path"].as_str() else {
                continue;
            };
            let shown = match op["op"].as_str() {
                Some("add") if path.ends_with("/-") => path.rsplit_once('/').map(|(p, _)| p),
                Some("add" | "replace") => Some(path),
                Some("remove") => path.rsplit_once('/').map(|(p, _)| p),
                _ => None,
            };
            if let Some(p) = shown.map(jsonpath_of) {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        if paths.is_empty() {
            return None;
        }
        return Some((
            Some("the patched fields now hold the new values (removed flags are gone):".into()),
            format!(
                "kubectl {ctx}{n} get {lower} {name} -o jsonpath='{}'",
                paths.join("{\"\\n\"}")
            ),
        ));
    }
    Some(match kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" => (
            None,
            format!("kubectl {ctx}{n} rollout status {lower}/{name} --timeout=5m"),
        ),
        "APIService" => (
            None,
            format!(
                "kubectl {ctx} wait --for=condition=Available apiservice/{name} --timeout=5m"
            ),
        ),
        "Secret" => (
            Some("the Secret's keys (names only, never values):".into()),
            format!(
                "kubectl {ctx}{n} get secret {name} -o go-template='{{{{range $k, $v := .data}}}}{{{{$k}}}}{{{{\"\\n\"}}}}{{{{end}}}}'"
            ),
        ),
        _ => (None, format!("kubectl {ctx}{n} get {lower} {name}")),
    })
}

/// `kubectl … delete KIND NAME` → the `get … --ignore-not-found` that shows it is gone.
fn delete_verify(c: &str) -> Option<String> {
    let words: Vec<&str> = c.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "delete")?;
    if words.first() != Some(&"kubectl") || words.len() < at + 3 {
        return None;
    }
    let mut out: Vec<&str> = words.clone();
    out[at] = "get";
    Some(format!("{} --ignore-not-found", out.join(" ")))
}

/// Front-proxy certificates made on the workstation with openssl (mode 0600 by umask)
/// and a merge patch filled with them in `file`, for a plan written without
/// `--generate-front-proxy-certs`.
fn openssl_steps(file: &str, keys: &[String]) -> Vec<FixStep> {
    let mut steps = vec![
        FixStep::Note(
            "make a front-proxy CA (separate from the cluster CA) and a client certificate with CN \
             front-proxy-client and clientAuth usage, in files only you can read (or rerun with \
             --generate-front-proxy-certs to have them written here):"
                .into(),
        ),
        FixStep::Run("umask 077 && mkdir -p front-proxy".into()),
        FixStep::Run(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1825 -subj /CN=front-proxy-ca \
             -keyout front-proxy/front-proxy-ca.key -out front-proxy/front-proxy-ca.crt"
                .into(),
        ),
        FixStep::Run(
            "openssl req -newkey rsa:2048 -nodes -subj /CN=front-proxy-client \
             -keyout front-proxy/front-proxy-client.key -out front-proxy/front-proxy-client.csr"
                .into(),
        ),
        FixStep::Run(
            "printf 'keyUsage=critical,digitalSignature,keyEncipherment\\nextendedKeyUsage=clientAuth\\n' \
             > front-proxy/client.ext"
                .into(),
        ),
        FixStep::Run(
            "openssl x509 -req -days 1825 -in front-proxy/front-proxy-client.csr -CA front-proxy/front-proxy-ca.crt \
             -CAkey front-proxy/front-proxy-ca.key -CAcreateserial -extfile front-proxy/client.ext \
             -out front-proxy/front-proxy-client.crt"
                .into(),
        ),
    ];
    let fields: Vec<String> = keys.iter().map(|k| format!("\"{k}\":\"%s\"")).collect();
    let values: Vec<String> = keys
        .iter()
        .map(|k| format!("\"$(base64 -w0 front-proxy/{k})\""))
        .collect();
    steps.push(FixStep::Note(format!(
        "fill the patch `{file}` with them (it replaces the `<base64 of …>` placeholders):"
    )));
    steps.push(FixStep::Run(format!(
        "printf '{{\"data\":{{{}}}}}\\n' {} > {file}",
        fields.join(","),
        values.join(" ")
    )));
    steps
}

/// The steps of one fix as the plan shows them: untyped commands classified, generated
/// certificates wired in, the manifests' own commands added where the rule gave none, and
/// a verification after the change when the rule gave none.
fn fix_steps(f: &Finding, files: &PlanFiles) -> Vec<FixStep> {
    let Some(r) = &f.remediation else {
        return Vec::new();
    };
    let mut steps = r.step_list();
    // Generated certificates: the filled patch replaces the placeholder one.
    if steps.contains(&FixStep::GenerateFrontProxyPair) {
        if let Some(secret) = f.object.as_ref().filter(|o| o.kind() == "Secret") {
            let plain: Vec<&Manifest> = r
                .manifests
                .iter()
                .filter(|m| m.target.as_ref() == Some(secret))
                .collect();
            let plain_name = plain
                .first()
                .map(|m| m.file_name.clone())
                .unwrap_or_else(|| fix_file(secret, "front-proxy.merge-patch.json"));
            let generated = files.generated_patches.get(&secret.to_string());
            let file = generated.cloned().unwrap_or_else(|| plain_name.clone());
            for s in steps.iter_mut() {
                if let FixStep::Run(c) = s {
                    *c = c.replace(&plain_name, &file);
                }
            }
            let patch = format!(
                "kubectl {}{} patch secret {} --type=merge --patch-file {file}",
                crate::checks::support::naming::context_flag(secret.scope()),
                ns_flag(secret.namespace()),
                secret.name
            );
            if !steps
                .iter()
                .any(|s| matches!(s, FixStep::Run(c) if c.contains(&file)))
            {
                steps.push(FixStep::Run(patch));
            }
            let at = steps
                .iter()
                .position(|s| matches!(s, FixStep::Run(c) if c.contains(&file)))
                .unwrap_or(0);
            let mut before = match generated {
                Some(g) => vec![FixStep::Note(format!(
                    "`{g}` (mode 0600) holds the certificates karmada-preflight generated into \
                     front-proxy/ (CA and client, each key mode 0600; keep front-proxy/front-proxy-ca.key \
                     offline). The keys are in those files only, never in this plan."
                ))],
                None => {
                    let keys: Vec<String> = plain
                        .iter()
                        .filter_map(|m| m.content.get("data").and_then(|d| d.as_object()))
                        .flat_map(|d| d.keys().cloned())
                        .collect();
                    let keys = if keys.is_empty() {
                        ["front-proxy-ca.crt", "front-proxy-client.crt", "front-proxy-client.key"]
                            .map(String::from)
                            .to_vec()
                    } else {
                        keys
                    };
                    openssl_steps(&file, &keys)
                }
            };
            before.reverse();
            for s in before {
                steps.insert(at, s);
            }
        }
    }
    // Manifests no command applies get theirs, first (rules that only list what to verify).
    let mentioned = |name: &str, steps: &[FixStep]| {
        steps
            .iter()
            .filter_map(FixStep::command)
            .any(|c| c.contains(name))
    };
    let mut added = Vec::new();
    for m in &r.manifests {
        let generated_instead = m.target.as_ref().is_some_and(|t| {
            t.kind() == "Secret" && files.generated_patches.contains_key(&t.to_string())
        }) && steps.contains(&FixStep::GenerateFrontProxyPair);
        if generated_instead || mentioned(&m.file_name, &steps) {
            continue;
        }
        if let Some(c) = manifest_command(m, &m.file_name) {
            added.push(FixStep::Run(c));
        }
    }
    for (i, s) in added.into_iter().enumerate() {
        steps.insert(i, s);
    }
    // A verification after the change when the rule gave none.
    let (forward, _) = split_restore(&steps);
    let has_run = forward.iter().any(|s| {
        matches!(
            s,
            FixStep::Run(_) | FixStep::Etcdctl(_) | FixStep::ScaleDown { .. }
        )
    });
    let has_verify = forward.iter().any(|s| matches!(s, FixStep::Verify(_)));
    if has_run && !has_verify {
        let mut checks: Vec<FixStep> = Vec::new();
        for s in forward {
            if let FixStep::Run(c) = s {
                if let Some(v) = delete_verify(c) {
                    checks.push(FixStep::Note("it is gone (prints nothing):".into()));
                    checks.push(FixStep::Verify(v));
                }
            }
        }
        for m in &r.manifests {
            if let Some((note, v)) = manifest_verify(m) {
                if let Some(n) = note {
                    checks.push(FixStep::Note(n));
                }
                checks.push(FixStep::Verify(v));
            }
        }
        let end = forward.len();
        for (i, s) in checks.into_iter().enumerate() {
            steps.insert(end + i, s);
        }
    }
    steps
}

/// The command text of a step as it is run (a rollback without its comment prefix).
fn raw_command(s: &FixStep) -> Option<String> {
    match s {
        FixStep::Rollback(c) => Some(c.clone()),
        FixStep::Note(_) | FixStep::GenerateFrontProxyPair => None,
        other => other.command(),
    }
}

fn mode_of(s: &FixStep) -> &'static str {
    match s {
        FixStep::Verify(_) => "verify",
        FixStep::Rollback(_) => "rollback",
        _ => "run",
    }
}

/// Notes as text, consecutive commands of one kind and place as one marked block.
fn render_steps(plan: &mut String, steps: &[FixStep]) {
    let mut block: Option<(&'static str, RunsOn, Vec<String>)> = None;
    let flush = |plan: &mut String, block: &mut Option<(&'static str, RunsOn, Vec<String>)>| {
        let Some((mode, on, cmds)) = block.take() else {
            return;
        };
        let lead = match mode {
            "verify" => format!("Verify, {}:", on.describe()),
            "rollback" => format!("Only to roll back, {}:", on.describe()),
            _ => format!("Run {}:", on.describe()),
        };
        plan.push_str(&format!("\n{lead}\n\n```sh {mode}={}\n", on.marker()));
        for c in cmds {
            plan.push_str(&c);
            plan.push('\n');
        }
        plan.push_str("```\n");
    };
    for s in steps {
        match s {
            FixStep::Note(t) => {
                flush(plan, &mut block);
                plan.push_str(&format!("\n{}\n", t.trim()));
            }
            FixStep::GenerateFrontProxyPair => {}
            _ => {
                let (Some(on), Some(cmd)) = (s.runs_on(), raw_command(s)) else {
                    continue;
                };
                let mode = mode_of(s);
                match &mut block {
                    Some((m, o, cmds)) if *m == mode && *o == on => cmds.push(cmd),
                    _ => {
                        flush(plan, &mut block);
                        block = Some((mode, on, vec![cmd]));
                    }
                }
            }
        }
    }
    flush(plan, &mut block);
}

/// The generated patch that replaces the rule's placeholder patch for `f`, if any.
fn generated_for<'a>(f: &Finding, files: &'a PlanFiles) -> Option<&'a String> {
    let r = f.remediation.as_ref()?;
    if !r.steps.contains(&FixStep::GenerateFrontProxyPair) {
        return None;
    }
    let secret = f.object.as_ref().filter(|o| o.kind() == "Secret")?;
    files.generated_patches.get(&secret.to_string())
}

fn push_fix(plan: &mut String, f: &Finding, steps: &[FixStep], files: &PlanFiles) {
    // The hop tells which upgrade of a multi-hop path the step (or release note) is for.
    let hop = f
        .hop
        .as_deref()
        .map(|h| format!(", {h}"))
        .unwrap_or_default();
    plan.push_str(&format!(
        "\n#### [ ] {} ({}{hop}) — {}\n\n{}\n",
        f.rule.name(),
        f.rule.id(),
        f.status,
        f.message
    ));
    if let Some(loc) = &f.location {
        plan.push_str(&format!("\nAt `{loc}`.\n"));
    }
    let Some(r) = &f.remediation else { return };
    let generated = generated_for(f, files);
    match (generated, &f.object) {
        (Some(_), Some(secret)) => plan.push_str(&format!(
            "\nAdd the front-proxy CA and client certificate that karmada-preflight generated to {secret}.\n"
        )),
        _ => plan.push_str(&format!("\n{}\n", r.summary)),
    }
    render_steps(plan, steps);
    if !r.manifests.is_empty() {
        plan.push_str("\nFiles of this step:\n\n");
        for m in &r.manifests {
            if let (Some(g), ManifestKind::MergePatch) = (generated, m.kind) {
                plan.push_str(&format!(
                    "- `{g}` (merge patch with the generated certificates, mode 0600, for {})\n",
                    m.apply_to
                ));
                continue;
            }
            plan.push_str(&format!(
                "- `{}` ({}, for {})\n",
                m.file_name,
                match m.kind {
                    ManifestKind::Apply => "apply",
                    ManifestKind::JsonPatch => "JSON patch",
                    ManifestKind::MergePatch => "merge patch",
                },
                m.apply_to
            ));
        }
    }
}

const INTRO: &str = "\
Work through it from top to bottom; run the commands in this folder (the file names are \
relative to it). `[x]` is already done, `[ ]` still to do, `[?]` could not be checked from \
the input, `[-]` does not apply in this phase.

Every command block says where it runs, in the text before it and in its first line:

- `run=host`: kubectl against the host cluster (context `karmada-host`);
- `run=karmada`: kubectl against karmada-apiserver (context `karmada-apiserver`);
- `run=member:<name>`: kubectl against that member cluster (its context);
- `run=etcd-pod`: etcdctl inside the etcd pod, through `kubectl exec` from the host context;
- `run=etcd-machine`: a machine that reaches the etcd endpoints;
- `run=workstation`: your workstation, no cluster needed.

A `verify=…` block checks the step before you go on; a `rollback=…` block is only for undoing \
a step that went wrong. After the last step, run `karmada-preflight check --phase post` on \
the upgraded installation.
";

/// PLAN.md: the hops in path order; in each, the guide's steps in order (from the rules'
/// `guide:`); under each step what is already done (passing findings), what is still to do
/// (the computed commands and files, with their verification) and what could not be
/// checked. A step that restores what an earlier fix stopped lists the restoring commands
/// of those fixes.
pub fn plan_text(report: &Report, fixes: &[&Finding], files: &PlanFiles) -> String {
    let mut plan = String::from("# Upgrade plan computed by karmada-preflight\n\n");
    plan.push_str(&format!(
        "Phase: {} ({}). Generated {}.\n\n{INTRO}",
        report.phase, report.phase_reason, report.generated_at
    ));
    // Sections: every guide step of the rules that ran, their restore steps, and the
    // rules without a guide step.
    let mut sections: BTreeMap<Section, Vec<&str>> = BTreeMap::new();
    let mut restores: BTreeMap<Section, Vec<&str>> = BTreeMap::new();
    for f in &report.findings {
        let Some(r) = report
            .rule(f.rule.name())
            .and_then(|i| i.guide.as_ref())
            .and_then(|g| g.restore.as_ref())
        else {
            continue;
        };
        let s = Section {
            hop: HopKey::of(f.hop.as_deref()),
            step: r.step,
            title: r.title.clone(),
        };
        sections.entry(s.clone()).or_default();
        let undo = restores.entry(s).or_default();
        if !undo.contains(&f.rule.name()) {
            undo.push(f.rule.name());
        }
    }
    for f in &report.findings {
        let rules = sections.entry(section_of(report, f)).or_default();
        if !rules.contains(&f.rule.name()) {
            rules.push(f.rule.name());
        }
    }
    let mut listed: HashSet<String> = HashSet::new();
    let mut hop: Option<HopKey> = None;
    for (n, (section, rules)) in sections.iter_mut().enumerate() {
        if hop.as_ref() != Some(&section.hop) {
            plan.push_str(&format!("\n## {}\n", section.hop.heading()));
            hop = Some(section.hop.clone());
        }
        plan.push_str(&format!("\n### {}. {}\n", n + 1, section.title));
        rules.sort();
        if let Some(undo) = restores.get(section) {
            let steps: Vec<FixStep> = fixes
                .iter()
                .filter(|f| undo.contains(&f.rule.name()))
                .filter(|f| HopKey::of(f.hop.as_deref()) == section.hop)
                .flat_map(|f| split_restore(&fix_steps(f, files)).1.to_vec())
                .collect();
            if steps.is_empty() {
                plan.push_str("\n- [x] nothing the steps above stop needs starting again.\n");
            } else {
                plan.push_str("\nOnly once the steps between are in place:\n");
                render_steps(&mut plan, &steps);
            }
        }
        let mut any = restores.contains_key(section);
        // A command an earlier fix already listed (one merged patch file serving two rules)
        // is not listed again: the second `kubectl patch` would fail its own tests.
        for rule in rules.iter() {
            for f in report
                .findings
                .iter()
                .filter(|f| f.rule.name() == *rule && section_of(report, f) == *section)
            {
                any = true;
                match f.status {
                    Status::Pass => {
                        plan.push_str(&format!("\n- [x] {}: {}\n", f.rule.name(), f.message))
                    }
                    Status::Unknown => {
                        plan.push_str(&format!("\n- [?] {}: {}\n", f.rule.name(), f.message))
                    }
                    Status::Skip => {
                        plan.push_str(&format!("\n- [-] {}: {}\n", f.rule.name(), f.message))
                    }
                    Status::Suppressed => {}
                    _ if needs_fix(f) => {
                        let all = fix_steps(f, files);
                        let mut steps = Vec::new();
                        // A check is repeated where its change is (a later hop rolls the same
                        // workload again), dropped only with a change already done above.
                        let mut done_above = false;
                        for s in split_restore(&all).0 {
                            let cmd = raw_command(s);
                            match (s, cmd) {
                                (FixStep::Verify(_), Some(_)) if done_above => {}
                                (FixStep::Verify(_), Some(_)) => steps.push(s.clone()),
                                (_, Some(c)) if listed.contains(&c) => {
                                    done_above = true;
                                    steps.push(FixStep::Note(format!(
                                        "Already done by a step above (run it once): `{c}`"
                                    )))
                                }
                                (_, Some(c)) => {
                                    listed.insert(c);
                                    steps.push(s.clone());
                                }
                                (_, None) => steps.push(s.clone()),
                            }
                        }
                        push_fix(&mut plan, f, &steps, files);
                    }
                    _ => {}
                }
            }
        }
        if !any {
            plan.push_str("\n- not checked (no rule of this step ran)\n");
        }
    }
    if !plan.ends_with('\n') {
        plan.push('\n');
    }
    plan
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

    fn finding(rule: &str, hop: Option<&str>, status: Status, steps: Vec<FixStep>) -> Finding {
        Finding {
            rule: crate::findings::RuleRef::new(rule, &rule.to_uppercase(), "house"),
            status,
            severity: None,
            message: format!("{rule} says so"),
            object: None,
            location: None,
            evidence: Default::default(),
            remediation: Some(std::sync::Arc::new(Remediation::from_steps(
                "fix it".into(),
                steps,
            ))),
            hop: hop.map(Into::into),
            suppressed_by: None,
            fingerprint: Default::default(),
        }
    }

    fn report(findings: Vec<Finding>, rules: Vec<RuleInfo>) -> Report {
        let decision = PhaseDecision {
            phase: Phase::Pre,
            reason: "test".into(),
            detected: false,
            karmada_version: None,
            version: None,
        };
        let mut report = Report::new(
            &decision,
            Vec::new(),
            findings,
            time::OffsetDateTime::UNIX_EPOCH,
        );
        report.rules = rules;
        report
    }

    fn in_order(plan: &str, order: &[&str]) {
        let at = |s: &str| plan.find(s).unwrap_or_else(|| panic!("{s} not in\n{plan}"));
        for w in order.windows(2) {
            assert!(at(w[0]) < at(w[1]), "{} before {}:\n{plan}", w[0], w[1]);
        }
    }

    /// The plan comes from the rules' guide metadata and typed steps alone: any rule
    /// can stop a workload and have it started again in a later step; each command is in
    /// a block that says where it runs, and each change is followed by its check.
    #[test]
    fn guide_steps_and_restore_steps_come_from_rule_metadata() {
        let scale = |replicas: Option<u64>| {
            let (kubectl_flags, namespace, kind, name) = (
                "--context karmada-host".to_string(),
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
        let hop = Some("v0.10->v1.0");
        let findings = vec![
            finding(
                "unguided",
                hop,
                Status::Fail,
                vec![FixStep::Run("kubectl --context m1 delete crd x.y".into())],
            ),
            finding(
                "migrate",
                hop,
                Status::Action,
                vec![FixStep::Run(
                    "kubectl --context karmada-apiserver apply -f m.yaml".into(),
                )],
            ),
            finding(
                "stop-db",
                hop,
                Status::Action,
                vec![
                    scale(None),
                    FixStep::Etcdctl(
                        "kubectl --context karmada-host -n ns exec etcd-0 -c etcd -- etcdctl del k"
                            .into(),
                    ),
                    FixStep::Note("then start it".into()),
                    scale(Some(3)),
                ],
            ),
        ];
        let mut stop_rule = rule("stop-db", Some(stop));
        stop_rule.pack = "karmada-v0.10-to-v1.0".into();
        let report = report(
            findings,
            vec![
                stop_rule,
                rule("migrate", Some(step(2, "Migrate"))),
                rule("unguided", None),
            ],
        );
        let fixes: Vec<&Finding> = report.findings.iter().collect();
        let plan = plan_text(&report, &fixes, &PlanFiles::default());
        in_order(
            &plan,
            &[
                "## Hop v0.10 → v1.0",
                "### 1. Stop the database",
                "```sh run=host\nkubectl --context karmada-host -n ns scale deployment db --replicas=0\n```",
                "```sh run=etcd-pod\nkubectl --context karmada-host -n ns exec etcd-0",
                "### 2. Migrate",
                "```sh run=karmada\nkubectl --context karmada-apiserver apply -f m.yaml\n```",
                "### 3. Start the database",
                "then start it",
                "scale deployment db --replicas=3",
                "### 4. Other changes of this hop",
                "```sh run=member:m1\nkubectl --context m1 delete crd x.y\n```",
                "```sh verify=member:m1\nkubectl --context m1 get crd x.y --ignore-not-found\n```",
            ],
        );
        assert_eq!(plan.matches("--replicas=3").count(), 1, "{plan}");
    }

    /// Sections are keyed by the hop, not its spelling: `v0.9 -> v0.10` (spaces, as a
    /// report written elsewhere may have it) and `v0.9->v0.10` are one section, and v0.9
    /// comes before v0.10 although "v0.9" sorts after "v0.10" as text.
    #[test]
    fn a_hop_spelled_two_ways_is_one_section_in_numeric_order() {
        let run = |t: &str| vec![FixStep::Run(format!("kubectl apply -f {t}"))];
        let findings = vec![
            finding("ten", Some("v0.10->v1.0"), Status::Action, run("c.yaml")),
            finding(
                "nine-a",
                Some("v0.9 -> v0.10"),
                Status::Action,
                run("a.yaml"),
            ),
            finding("nine-b", Some("v0.9->v0.10"), Status::Action, run("b.yaml")),
        ];
        let report = report(findings, Vec::new());
        let fixes: Vec<&Finding> = report.findings.iter().collect();
        let plan = plan_text(&report, &fixes, &PlanFiles::default());
        in_order(
            &plan,
            &[
                "## Hop v0.9 → v0.10",
                "a.yaml",
                "b.yaml",
                "## Hop v0.10 → v1.0",
                "c.yaml",
            ],
        );
        assert_eq!(plan.matches("## Hop v0.9 → v0.10").count(), 1, "{plan}");
    }

    /// Hops in path order, whatever the order of the findings; each hop's rules under
    /// its own heading.
    #[test]
    fn hops_are_grouped_in_path_order() {
        let note = |t: &str| {
            vec![FixStep::Run(format!(
                "kubectl --context karmada-host apply -f {t}"
            ))]
        };
        let findings = vec![
            finding(
                "later",
                Some("v1.14->v1.15"),
                Status::Action,
                note("b.yaml"),
            ),
            finding("path", None, Status::Pass, Vec::new()),
            finding(
                "earlier",
                Some("v1.12->v1.13"),
                Status::Action,
                note("a.yaml"),
            ),
            finding(
                "middle",
                Some("v1.13->v1.14"),
                Status::Action,
                note("c.yaml"),
            ),
        ];
        let report = report(findings, Vec::new());
        let fixes: Vec<&Finding> = report.findings.iter().collect();
        let plan = plan_text(&report, &fixes, &PlanFiles::default());
        in_order(
            &plan,
            &[
                "## Across the whole upgrade path",
                "- [x] path:",
                "## Hop v1.12 → v1.13",
                "a.yaml",
                "## Hop v1.13 → v1.14",
                "c.yaml",
                "## Hop v1.14 → v1.15",
                "b.yaml",
            ],
        );
        assert!(!plan.contains("Other checks"), "{plan}");
    }
}
