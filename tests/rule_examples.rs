//! Every bundled rule carries its own examples (`examples:` in its YAML file): inputs that
//! pass and inputs that fail, with the exact findings expected (status and file:line).
//! This one test runs them all, so a rule's tests are next to the rule and a new rule
//! without both kinds of example does not get in.

use std::path::Path;

use karmada_preflight::findings::Status;
use karmada_preflight::rules::examples::run_example;
use karmada_preflight::rules::Catalog;

/// Core rules that cannot show both outcomes through the rule engine alone, and why.
const EXEMPT: &[(&str, &str)] = &[
    (
        "waiver-expired",
        "its findings come from the waiver file after the rules ran (engine::suppress); \
         tests/reports.rs covers expired and valid waivers",
    ),
    (
        "hop-pack-known",
        "a hop without rules is unknown, never a failure, and every known hop is getting a \
         pack; tests/hops.rs shows the unknown",
    ),
];

fn is_fail(s: Status) -> bool {
    matches!(s, Status::Fail | Status::Action | Status::Blocker)
}

#[test]
fn every_rule_example_reports_exactly_its_expected_findings() {
    let catalog = Catalog::embedded().expect("bundled rules compile");
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for rule in &catalog.rules {
        for ex in &rule.spec.examples {
            let who = format!("{} ({}) example {:?}", rule.spec.name, rule.source, ex.name);
            match run_example(&catalog, rule, ex, base) {
                Err(e) => problems.push(format!("{who}: cannot run: {e}")),
                Ok(o) if o.mismatches.is_empty() => {}
                Ok(o) => {
                    let got: Vec<String> = o
                        .findings
                        .iter()
                        .map(|f| {
                            let at = match (&f.location, &f.object) {
                                (Some(l), _) => format!(", location: {:?}", l.to_string()),
                                (None, Some(o)) => format!(", object: {:?}", o.to_string()),
                                (None, None) => String::new(),
                            };
                            format!("- {{ status: {}{at} }}  # {}", f.status, f.message)
                        })
                        .collect();
                    problems.push(format!(
                        "{who}:\n  {}\n  reported:\n  {}",
                        o.mismatches.join("\n  "),
                        got.join("\n  ")
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[test]
fn every_rule_has_a_passing_and_a_failing_example() {
    let catalog = Catalog::embedded().expect("bundled rules compile");
    let mut missing = Vec::new();
    for rule in &catalog.rules {
        if EXEMPT.iter().any(|(n, _)| *n == rule.spec.name) {
            continue;
        }
        let statuses: Vec<Status> = rule
            .spec
            .examples
            .iter()
            .flat_map(|e| e.expect.iter().map(|x| x.status))
            .collect();
        // A `release-notes` rule lists what no input can show, as info, whatever the input:
        // it has no passing state, only its notes.
        let notes_only = rule.spec.template == "release-notes";
        if !notes_only && !statuses.contains(&Status::Pass) {
            missing.push(format!(
                "{} ({}): no passing example",
                rule.spec.name, rule.source
            ));
        }
        if !statuses.iter().any(|s| is_fail(*s)) {
            missing.push(format!(
                "{} ({}): no failing (fail/action/blocker) example",
                rule.spec.name, rule.source
            ));
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}

#[test]
fn a_rule_file_is_named_after_its_rule_and_sits_in_its_pack() {
    let catalog = Catalog::embedded().expect("bundled rules compile");
    for rule in &catalog.rules {
        let want = format!("rules/{}/{}.yaml", rule.spec.pack, rule.spec.name);
        assert_eq!(
            rule.source, want,
            "rule {} ({})",
            rule.spec.name, rule.spec.id
        );
    }
}

#[test]
fn exemptions_name_rules_that_exist() {
    let catalog = Catalog::embedded().expect("bundled rules compile");
    for (name, why) in EXEMPT {
        assert!(catalog.find(name).is_some(), "{name}: {why}");
    }
}

#[test]
fn rules_sharing_a_guide_step_share_its_title() {
    let catalog = Catalog::embedded().expect("bundled rules compile");
    let mut seen: std::collections::BTreeMap<(String, u32), (String, String)> = Default::default();
    for rule in &catalog.rules {
        let Some(g) = &rule.spec.guide else { continue };
        let steps = std::iter::once((g.step, g.title.as_str()))
            .chain(g.restore.iter().map(|r| (r.step, r.title.as_str())));
        for (step, title) in steps {
            let key = (rule.spec.pack.clone(), step);
            let (first, by) = seen
                .entry(key)
                .or_insert_with(|| (title.to_string(), rule.spec.name.clone()));
            assert_eq!(
                first, title,
                "{}: guide step {step} is titled differently by {by}",
                rule.spec.name
            );
        }
    }
}
