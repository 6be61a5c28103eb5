//! `-o junit`: JUnit XML for CI systems that show test results (GitLab, Jenkins, Azure).
//!
//! One `<testsuite>` per rule pack, one `<testcase>` per finding (rule × object), with
//! `classname` = pack and `name` = `rule: object`. Mapping (documented in README.md):
//! - pass → success;
//! - fail and blocker → `<failure type="fail:<severity>|blocker">`;
//! - action → `<failure type="action">`: an upgrade step not done yet is a failed check
//!   for whoever reads the test report, even when `--fail-on` lets the run exit 0;
//! - unknown → `<error type="unknown">`: the check could not run on the input, which is
//!   what JUnit's error (as opposed to failure) means;
//! - skip and suppressed → `<skipped>` with the reason (and the suppression's source).
//!
//! Exit codes are not affected by the format: they follow `--fail-on` as always.

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::findings::{Finding, Status};

fn object_label(f: &Finding) -> String {
    f.object
        .as_ref()
        .map(|o| o.to_string())
        .unwrap_or_else(|| "(input)".into())
}

/// The text body of a failure: where, the evidence, and the fix summary.
fn description(f: &Finding) -> String {
    let mut d = String::new();
    if let Some(l) = &f.location {
        d.push_str(&format!("at {l}\n"));
    }
    for e in &f.evidence {
        match &e.location {
            Some(l) => d.push_str(&format!("- {} ({l})\n", e.message)),
            None => d.push_str(&format!("- {}\n", e.message)),
        }
    }
    if let Some(r) = &f.remediation {
        d.push_str(&format!("fix: {}\n", r.summary));
        for c in &r.commands {
            d.push_str(&format!("  {c}\n"));
        }
    }
    d
}

fn status_of(f: &Finding) -> TestCaseStatus {
    let mut st = match f.status {
        Status::Pass => return TestCaseStatus::success(),
        Status::Fail | Status::Blocker | Status::Action => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let ty = match (f.status, f.severity) {
                (Status::Fail, Some(sev)) => format!("fail:{sev}"),
                (s, _) => s.to_string(),
            };
            s.set_type(ty);
            s
        }
        Status::Unknown => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("unknown");
            s
        }
        Status::Skip | Status::Suppressed => {
            let mut s = TestCaseStatus::skipped();
            s.set_type(f.status.to_string());
            if let Some(by) = &f.suppressed_by {
                s.set_message(format!("suppressed: {by}"));
                s.set_description(f.message.clone());
                return s;
            }
            s
        }
    };
    st.set_message(f.message.clone());
    let d = description(f);
    if !d.is_empty() {
        st.set_description(d);
    }
    st
}

pub fn render(report: &Report) -> String {
    let mut packs: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        packs.entry(f.rule.pack()).or_default().push(f);
    }
    let mut j = JReport::new(format!("{} {}", report.tool.name, report.phase));
    for (pack, findings) in packs {
        let mut suite = TestSuite::new(pack);
        for f in findings {
            let mut tc = TestCase::new(
                format!("{}: {}", f.rule.name(), object_label(f)),
                status_of(f),
            );
            tc.set_classname(pack);
            tc.add_property(("id", f.rule.id()));
            tc.add_property(("fingerprint", f.fingerprint.hex().as_str()));
            suite.add_test_case(tc);
        }
        suite.add_property(("phase", report.phase.to_string().as_str()));
        suite.add_property(("rulesVersion", report.tool.rules_version.as_str()));
        j.add_test_suite(suite);
    }
    match j.to_string() {
        Ok(mut s) => {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
        // Serialising to memory fails only on invalid UTF-8, which Strings cannot hold;
        // still, return well-formed XML saying so rather than panicking.
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"karmada-preflight\" tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            e.to_string().replace("--", "- -")
        ),
    }
}
