//! Rule examples: the inputs each rule file carries under `examples:`, with the findings
//! the rule must report for them. One runner serves `tests/rule_examples.rs` (every
//! bundled rule) and `karmada-preflight test RULES_DIR` (house rules), so a rule is
//! tested the same way wherever it is defined.
//!
//! ```yaml
//! examples:
//!   - name: v1.9.0 aggregated-apiserver still sets the gate
//!     phase: post                    # pre | post
//!     from: v1.9                     # optional, with `to`: the upgrade path (default: the rule's hop)
//!     to: v1.10
//!     now: 2027-03-01                # optional: the date the run pretends it is
//!     input: [fixtures/releases/v1.9.0/artifacts/deploy]   # files/dirs, relative to the base
//!     yaml: |                        # and/or inline manifests; their locations read `example:LINE`
//!       ...
//!     expect:                        # every finding of this rule, order-insensitive
//!       - { status: fail, location: "fixtures/…/karmada-aggregated-apiserver.yaml:45" }
//!       - { status: pass, object: "Deployment/karmada-webhook", message: "…" }
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;

use super::catalog::{Catalog, Rule};
use super::engine::{run_rules_on_path, RunOptions};
use super::path::CatalogPlan;
use crate::findings::{Finding, Status};
use crate::sources::{load_inputs, Limits};
use crate::upgrade::path::UpgradePlan;
use crate::upgrade::Phase;

/// The file name inline `yaml:` takes in locations.
pub const INLINE_NAME: &str = "example";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// What the example shows, in the user's words.
    pub name: String,
    pub phase: Phase,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// `YYYY-MM-DD`: the day the run pretends it is (certificate expiry); default today.
    #[serde(default)]
    pub now: Option<String>,
    /// Files or directories, relative to the base (the repository for bundled rules,
    /// the rule file's folder for `test`).
    #[serde(default)]
    pub input: Vec<String>,
    /// Inline manifests (one or more YAML documents).
    #[serde(default)]
    pub yaml: Option<String>,
    /// A pre-upgrade report or bundle, relative to the base, as `check --baseline` takes
    /// it (the etcd rules compare etcd's Cluster keys with it).
    #[serde(default)]
    pub baseline: Option<String>,
    /// Every finding of this rule, exactly: order does not matter, the count does.
    pub expect: Vec<Expected>,
}

/// One expected finding; each field left out matches anything.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub status: Status,
    /// `file:line` (file relative to the base; `example:LINE` for inline yaml), or a
    /// cluster location as reports print it.
    #[serde(default)]
    pub location: Option<String>,
    /// The end of the finding's object, `[scope/][namespace/]Kind/name`.
    #[serde(default)]
    pub object: Option<String>,
    /// Text the finding's message contains.
    #[serde(default)]
    pub message: Option<String>,
}

/// The example itself cannot run (a missing input, a bad version or date).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExampleError(pub String);

/// What one example run saw: the rule's findings (locations relative to the base) and
/// every difference from `expect` (empty: the example holds).
#[derive(Debug)]
pub struct ExampleOutcome {
    pub findings: Vec<Finding>,
    pub mismatches: Vec<String>,
}

impl Expected {
    fn matches(&self, f: &Finding) -> bool {
        self.status == f.status
            && self
                .location
                .as_ref()
                .is_none_or(|l| f.location.as_ref().is_some_and(|x| &x.to_string() == l))
            && self.object.as_ref().is_none_or(|o| {
                f.object.as_ref().is_some_and(|x| {
                    let s = x.to_string();
                    s == *o || s.ends_with(&format!("/{o}"))
                })
            })
            && self
                .message
                .as_ref()
                .is_none_or(|m| f.message.contains(m.as_str()))
    }

    /// How it reads in a mismatch.
    fn describe(&self) -> String {
        let mut s = self.status.to_string();
        for (k, v) in [
            ("at", &self.location),
            ("about", &self.object),
            ("with message containing", &self.message),
        ] {
            if let Some(v) = v {
                s.push_str(&format!(" {k} {v:?}"));
            }
        }
        s
    }

    /// Fields given: more specific expectations are matched first.
    fn specificity(&self) -> usize {
        [&self.location, &self.object, &self.message]
            .iter()
            .filter(|x| x.is_some())
            .count()
    }
}

/// One finding as mismatches and `test` print it.
pub fn describe_finding(f: &Finding) -> String {
    let mut s = f.status.to_string();
    if let Some(l) = &f.location {
        s.push_str(&format!(" at \"{l}\""));
    }
    if let Some(o) = &f.object {
        s.push_str(&format!(" about {o}"));
    }
    format!("{s}: {}", f.message)
}

/// Run `ex` for `rule` (which must be in `catalog`), reading inputs relative to `base`.
pub fn run_example(
    catalog: &Catalog,
    rule: &Rule,
    ex: &Example,
    base: &Path,
) -> Result<ExampleOutcome, ExampleError> {
    let plan = example_plan(rule, ex)?.with_catalog(catalog);
    let now = match &ex.now {
        Some(d) => parse_day(d)?,
        None => time::OffsetDateTime::now_utc(),
    };
    let mut paths = Vec::new();
    for i in &ex.input {
        let p = base.join(i);
        if !p.exists() {
            return Err(ExampleError(format!(
                "input {i} does not exist (relative to {})",
                base.display()
            )));
        }
        paths.push(p.display().to_string());
    }
    let inline = ex.yaml.as_deref().map(InlineFile::write).transpose()?;
    if let Some(f) = &inline {
        paths.push(f.path.display().to_string());
    }
    if paths.is_empty() {
        return Err(ExampleError("an example needs `input` or `yaml`".into()));
    }
    let mut inv = load_inputs(&paths, &Limits::default(), &catalog.kind_filter());
    if let Some(b) = &ex.baseline {
        let baseline =
            crate::sources::etcd::load_baseline(&base.join(b), Limits::default().max_file_bytes)
                .map_err(|e| ExampleError(e.to_string()))?;
        match inv.etcd.as_mut() {
            Some(facts) => facts.baseline = Some(baseline),
            None => {
                return Err(ExampleError(
                    "`baseline` needs an input bundle holding etcd-keys.json".into(),
                ))
            }
        }
    }
    let opts = RunOptions {
        phase: ex.phase,
        now,
        only: vec![rule.spec.name.clone()],
    };
    let mut findings = run_rules_on_path(catalog, &inv, &opts, &plan);
    // Locations as the example writes them: relative to the base, `example` inline.
    let base_prefix = format!("{}/", base.display());
    let inline_path = inline.as_ref().map(|f| f.path.display().to_string());
    // The file as the example writes it, if it differs from what the finding says.
    let relative_file = |l: &crate::inventory::Location| -> Option<String> {
        let file = l.file.as_deref()?;
        if inline_path.as_deref() == Some(file) {
            Some(INLINE_NAME.to_string())
        } else {
            file.strip_prefix(&base_prefix).map(str::to_string)
        }
    };
    let relative = |l: &mut crate::inventory::Location| {
        if let Some(rel) = relative_file(l) {
            l.file = Some(rel.into());
        }
    };
    for f in &mut findings {
        f.location.iter_mut().for_each(relative);
        f.evidence.edit(
            |e| e.location.as_ref().and_then(relative_file).is_some(),
            |e| e.location.iter_mut().for_each(relative),
        );
    }
    let mismatches = compare(&ex.expect, &findings);
    Ok(ExampleOutcome {
        findings,
        mismatches,
    })
}

/// Pair expectations with findings (most specific first); whatever is left on either
/// side is a mismatch.
fn compare(expect: &[Expected], findings: &[Finding]) -> Vec<String> {
    let mut order: Vec<&Expected> = expect.iter().collect();
    order.sort_by_key(|e| std::cmp::Reverse(e.specificity()));
    let mut used = vec![false; findings.len()];
    let mut out = Vec::new();
    for e in order {
        match (0..findings.len()).find(|&i| !used[i] && e.matches(&findings[i])) {
            Some(i) => used[i] = true,
            None => out.push(format!("expected {}, not reported", e.describe())),
        }
    }
    for (f, _) in findings.iter().zip(&used).filter(|(_, u)| !**u) {
        out.push(format!("unexpected {}", describe_finding(f)));
    }
    out
}

/// The upgrade path of an example: `from`/`to` when given, each defaulting to the end of
/// the rule's hop; a rule without a hop runs on the default path.
fn example_plan(rule: &Rule, ex: &Example) -> Result<UpgradePlan, ExampleError> {
    let hop = rule.spec.hop;
    let label = |v: (u32, u32)| format!("v{}.{}", v.0, v.1);
    match (&ex.from, &ex.to, hop) {
        (None, None, Some(h)) => Ok(UpgradePlan {
            hops: vec![h],
            ..UpgradePlan::default()
        }),
        (None, None, None) => Ok(UpgradePlan::default()),
        (from, to, hop) => {
            let from = from
                .clone()
                .or_else(|| hop.map(|h| label(h.from)))
                .ok_or_else(|| ExampleError("`to` without `from` on a rule without hop".into()))?;
            let to = to
                .clone()
                .or_else(|| hop.map(|h| label(h.to)))
                .ok_or_else(|| ExampleError("`from` without `to` on a rule without hop".into()))?;
            let mut plan =
                UpgradePlan::between(&from, &to).map_err(|e| ExampleError(e.to_string()))?;
            plan.explicit = true;
            Ok(plan)
        }
    }
}

fn parse_day(d: &str) -> Result<time::OffsetDateTime, ExampleError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &fmt)
        .map(|d| d.midnight().assume_utc() + time::Duration::hours(12))
        .map_err(|e| ExampleError(format!("now: {d:?} is not YYYY-MM-DD: {e}")))
}

/// Inline `yaml:` written to a private temporary file for the loader, removed on drop.
struct InlineFile {
    path: PathBuf,
}

impl InlineFile {
    fn write(text: &str) -> Result<InlineFile, ExampleError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "karmada-preflight-example-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| ExampleError(format!("{}: {e}", dir.display())))?;
        let path = dir.join(format!("{INLINE_NAME}.yaml"));
        std::fs::write(&path, text)
            .map_err(|e| ExampleError(format!("{}: {e}", path.display())))?;
        Ok(InlineFile { path })
    }
}

impl Drop for InlineFile {
    fn drop(&mut self) {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(status: Status, msg: &str) -> Finding {
        Finding {
            rule: crate::findings::RuleRef::new("r", "X1", "p"),
            status,
            severity: None,
            message: msg.into(),
            object: None,
            location: None,
            evidence: Default::default(),
            remediation: None,
            hop: None,
            suppressed_by: None,
            fingerprint: Default::default(),
        }
    }

    fn exp(status: Status, message: Option<&str>) -> Expected {
        Expected {
            status,
            location: None,
            object: None,
            message: message.map(String::from),
        }
    }

    #[test]
    fn counts_matter_and_specific_expectations_match_first() {
        let f = [finding(Status::Fail, "a"), finding(Status::Fail, "b")];
        // A general expectation must not steal the finding a specific one needs.
        let ok = compare(&[exp(Status::Fail, None), exp(Status::Fail, Some("a"))], &f);
        assert!(ok.is_empty(), "{ok:?}");
        let short = compare(&[exp(Status::Fail, None)], &f);
        assert_eq!(short, vec!["unexpected fail: b".to_string()]);
        let missing = compare(&[exp(Status::Pass, None)], &[]);
        assert_eq!(missing, vec!["expected pass, not reported".to_string()]);
    }
}
