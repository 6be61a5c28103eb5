//! Output formats (SARIF, JUnit, markdown), suppressions, `compare`, and exit codes that
//! do not depend on the format.

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const V010: &str = "fixtures/karmada-v0.10.1";
const APISERVER: &str = "fixtures/karmada-v0.10.1/artifacts/deploy/karmada-apiserver.yaml";

/// Run the binary; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    run_in(None, args)
}

fn run_in(dir: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("karmada-preflight").expect("binary builds");
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sarif(phase: &str) -> Value {
    let (code, out, err) = run(&["check", V010, "--phase", phase, "-o", "sarif"]);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    // Nothing but the SARIF document on stdout: the whole of it parses as one JSON value.
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"))
}

/// The official schema's `language` pattern has a stray `]`
/// (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which ECMA-262 rejects, so the schema fails
/// its own meta-schema; later revisions of the OASIS file fixed it. The shipped file stays
/// as published and the pattern is corrected in memory only. Our output has no `language`
/// property, so this changes nothing about what is validated.
const BROKEN_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
const FIXED_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$";

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string("tests/schemas/sarif-schema-2.1.0.json")
        .expect("schema is shipped");
    assert_eq!(
        text.matches(BROKEN_LANGUAGE_PATTERN).count(),
        2,
        "the shipped schema changed"
    );
    let schema: Value =
        serde_json::from_str(&text.replace(BROKEN_LANGUAGE_PATTERN, FIXED_LANGUAGE_PATTERN))
            .expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn sarif_for_the_v0_10_fixtures_validates_against_the_official_schema() {
    let v = sarif_validator();
    for phase in ["pre", "post"] {
        let doc = sarif(phase);
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "phase {phase}: SARIF is invalid:\n{}",
            errors.join("\n")
        );
        assert_eq!(doc["version"], "2.1.0");
        let results = doc["runs"][0]["results"].as_array().expect("results");
        assert!(
            !results.is_empty(),
            "phase {phase}: the v0.10.1 fixtures have findings"
        );
    }
    // The validator is not vacuous: a result without a message is rejected.
    let mut bad = sarif("post");
    bad["runs"][0]["results"][0]
        .as_object_mut()
        .expect("a result")
        .remove("message");
    assert!(!v.is_valid(&bad));
}

#[test]
fn sarif_results_point_at_the_offending_flag_line() {
    let flag_line = common::line_of(APISERVER, "--proxy-client-cert-file=");
    assert_eq!(flag_line, 57);
    for phase in ["pre", "post"] {
        let doc = sarif(phase);
        let run = &doc["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        let results: Vec<&Value> = run["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["ruleId"] == "KP1003")
            .collect();
        assert!(
            !results.is_empty(),
            "phase {phase}: no apiserver-front-proxy-flags result"
        );
        for r in results {
            let pl = &r["locations"][0]["physicalLocation"];
            assert_eq!(pl["artifactLocation"]["uri"], APISERVER);
            assert_eq!(pl["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert_eq!(pl["region"]["startLine"], flag_line, "phase {phase}: {r:#}");
            assert!(pl["region"]["startColumn"].as_u64().unwrap_or(0) >= 1);
            // ruleIndex points at the rule's descriptor.
            let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[idx]["id"], "KP1003");
            assert_eq!(rules[idx]["name"], "apiserver-front-proxy-flags");
            assert_eq!(rules[idx]["defaultConfiguration"]["level"], "error");
            // Each wrong flag is a related location on its own line.
            let related: Vec<u64> = r["relatedLocations"]
                .as_array()
                .expect("relatedLocations")
                .iter()
                .filter_map(|l| l["physicalLocation"]["region"]["startLine"].as_u64())
                .collect();
            assert_eq!(related, vec![57, 58, 60]);
            assert!(r["partialFingerprints"]["karmadaPreflight/v1"].is_string());
            assert_eq!(r["properties"]["scope"], "pool");
            let want_level = if phase == "post" { "error" } else { "warning" };
            assert_eq!(r["level"], want_level);
        }
    }
}

#[test]
fn sarif_names_absent_objects_with_logical_locations() {
    let doc = sarif("post");
    let r = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "KP1002")
        .expect("cluster-apiservice result")
        .clone();
    let loc = &r["locations"][0];
    assert!(loc.get("physicalLocation").is_none(), "{loc:#}");
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "karmada/APIService/v1alpha1.cluster.karmada.io"
    );
}

#[test]
fn junit_parses_with_a_real_xml_parser_and_counts_match() {
    let (code, out, err) = run(&["check", V010, "--phase", "post", "-o", "junit"]);
    assert_eq!(code, 1, "{err}");
    let doc = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("not XML ({e}):\n{out}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");

    // Counts follow the JSON report of the same input: fail/blocker/action are failures,
    // unknown errors, skip/suppressed skipped; one testsuite per pack.
    let (_, json) = common::check(&[V010, "--phase", "post"]);
    let all = json["findings"].as_array().expect("findings");
    let count = |st: &[&str]| {
        all.iter()
            .filter(|f| st.contains(&f["status"].as_str().unwrap_or("")))
            .count()
    };
    let mut packs: Vec<&str> = all.iter().filter_map(|f| f["pack"].as_str()).collect();
    packs.sort();
    packs.dedup();
    let suites: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|s| s.attribute("name"))
        .collect();
    assert_eq!(suites, packs, "one testsuite per rule pack");
    assert!(suites.contains(&"karmada-v0.10-to-v1.0"));

    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), all.len(), "one testcase per finding");
    assert_eq!(
        root.attribute("tests"),
        Some(all.len().to_string().as_str())
    );

    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    let want = count(&["fail", "blocker", "action"]);
    assert!(
        want >= 3,
        "the v0.10.1 fixtures fail at least the three v1.0 steps"
    );
    assert_eq!(failures.len(), want);
    assert_eq!(root.attribute("failures"), Some(want.to_string().as_str()));
    for f in &failures {
        assert!(
            f.attribute("type").unwrap_or("").starts_with("fail:"),
            "post phase: {f:?}"
        );
        assert!(!f.attribute("message").unwrap_or("").is_empty());
    }
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("error"))
            .count(),
        count(&["unknown"])
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("skipped"))
            .count(),
        count(&["skip", "suppressed"])
    );

    const FLAGS: &str =
        "apiserver-front-proxy-flags: pool/karmada-system/Deployment/karmada-apiserver";
    let flags = cases
        .iter()
        .find(|c| c.attribute("name") == Some(FLAGS))
        .expect("testcase named `rule: object`");
    assert_eq!(flags.attribute("classname"), Some("karmada-v0.10-to-v1.0"));
    let failure = flags
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("failure");
    assert_eq!(failure.attribute("type"), Some("fail:error"));
    let body = failure.text().unwrap_or("");
    assert!(body.contains(&format!("{APISERVER}:57")), "{body}");

    // Before the upgrade the same finding is an action: a failure of type action.
    let (_, pre, _) = run(&["check", V010, "--phase", "pre", "-o", "junit"]);
    let pre = roxmltree::Document::parse(&pre).expect("XML");
    let failure = pre
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(FLAGS))
        .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
        .expect("a failure in the pre phase");
    assert_eq!(failure.attribute("type"), Some("action"));
}

/// The markdown report with its one run-dependent line (the timestamp) normalised.
fn markdown(args: &[&str]) -> String {
    let (_, out, err) = run(args);
    assert!(!out.is_empty(), "{err}");
    out.lines()
        .map(|l| {
            if l.starts_with("| Generated | ") {
                "| Generated | <timestamp> |".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Compare with the checked-in snapshot; `UPDATE_SNAPSHOTS=1` rewrites it.
fn snapshot(name: &str, actual: &str) {
    let path = format!("tests/snapshots/{name}");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all("tests/snapshots").expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with UPDATE_SNAPSHOTS=1)"));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{path} differs from the output at line {} (UPDATE_SNAPSHOTS=1 to accept):\n--- actual ---\n{actual}",
            first + 1
        );
    }
}

#[test]
fn markdown_report_matches_the_snapshot() {
    // A fixed set of rules and inputs, so rules added later do not change this snapshot.
    let md = markdown(&[
        "check",
        APISERVER,
        "fixtures/karmada-v0.10.1/crds/cluster.karmada.io_clusters.yaml",
        "--rule",
        "apiserver-front-proxy-flags",
        "--rule",
        "cluster-crd-removed",
        "--rule",
        "cluster-apiservice",
        "--phase",
        "post",
        "-o",
        "markdown",
    ]);
    // What a change ticket needs, independent of the snapshot's exact wording.
    for needle in [
        "# Karmada upgrade verification report",
        "| Tool | karmada-preflight ",
        "| Phase | post — chosen with --phase |",
        "## Summary",
        "### ❌ apiserver-front-proxy-flags (KP1003) — fail",
        "`fixtures/karmada-v0.10.1/artifacts/deploy/karmada-apiserver.yaml:57`",
        "```diff",
        "```sh",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in:\n{md}");
    }
    snapshot("markdown-v0.10.1-post.md", &md);
}

/// A temp input dir: the v0.10.1 karmada-apiserver Deployment carrying an ignore
/// annotation, a second apiserver Deployment without it, and a house rule that fails on
/// both (so one object has two failing rules).
fn suppression_fixture(annotation: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let text = std::fs::read_to_string(APISERVER).expect("fixture");
    let annotated = text.replacen(
        "  namespace: karmada-system\n",
        &format!("  namespace: karmada-system\n  annotations:\n    preflight.karmada.io/ignore: \"{annotation}\"\n"),
        1,
    );
    assert_ne!(annotated, text);
    let other = text.replacen(
        "  name: karmada-apiserver\n",
        "  name: karmada-apiserver-canary\n",
        1,
    );
    let input = tempfile::tempdir().expect("tempdir");
    std::fs::write(input.path().join("apiserver.yaml"), annotated).expect("write");
    std::fs::write(input.path().join("canary.yaml"), other).expect("write");
    let rules = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        rules.path().join("house.yaml"),
        "id: HOUSE100\nname: house-secure-port\npack: house\ntitle: karmada-apiserver listens on 6443\n\
         template: component-flags\nparams:\n  components: [karmada-apiserver]\n  require:\n    - { flag: --secure-port, equals: \"6443\" }\n\
         phases: { pre: error, post: error }\nwhy: our load balancer targets 6443\nfix: set --secure-port=6443\n",
    )
    .expect("write");
    (input, rules)
}

fn object_name(f: &Value) -> &str {
    f["object"]["name"].as_str().unwrap_or("")
}

#[test]
fn an_ignore_annotation_silences_exactly_that_rule_on_exactly_that_object() {
    let (input, rules) = suppression_fixture(
        "apiserver-front-proxy-flags,KP9999 front-proxy certs land in CHG-1234",
    );
    let dir = input.path().to_str().expect("utf-8");
    let rdir = rules.path().to_str().expect("utf-8");
    let (code, report) = common::check(&[dir, "--rules", rdir, "--phase", "post"]);
    assert_eq!(code, 1, "the other findings still fail the run");

    let flags = common::findings(&report, "apiserver-front-proxy-flags");
    assert_eq!(flags.len(), 2, "{flags:#?}");
    let on_annotated = flags
        .iter()
        .find(|f| object_name(f) == "karmada-apiserver")
        .expect("annotated");
    assert_eq!(on_annotated["status"], "suppressed");
    let by = on_annotated["suppressedBy"].as_str().unwrap_or("");
    assert!(by.contains("preflight.karmada.io/ignore"), "{by}");
    assert!(by.contains("front-proxy certs land in CHG-1234"), "{by}");
    assert!(
        by.contains("apiserver.yaml:"),
        "names where the annotation is: {by}"
    );
    let on_other = flags
        .iter()
        .find(|f| object_name(f) == "karmada-apiserver-canary")
        .expect("canary");
    assert_eq!(
        on_other["status"], "fail",
        "same rule, other object: still reported"
    );

    let house = common::findings(&report, "house-secure-port");
    assert_eq!(house.len(), 2);
    assert!(
        house.iter().all(|f| f["status"] == "fail"),
        "other rule, same object: still reported: {house:#?}"
    );
    assert_eq!(report["summary"]["suppressed"], 1);

    // Rule ids work as well as names.
    let (input, rules) = suppression_fixture("KP1003 same, by id");
    let (_, report) = common::check(&[
        input.path().to_str().expect("utf-8"),
        "--rules",
        rules.path().to_str().expect("utf-8"),
        "--phase",
        "post",
    ]);
    assert_eq!(report["summary"]["suppressed"], 1);
}

#[test]
fn an_expired_waiver_fails_the_run_and_names_the_waiver() {
    let d = tempfile::tempdir().expect("tempdir");
    let waivers = d.path().join("waivers.yaml");
    std::fs::write(
        &waivers,
        "waivers:\n  - rule: cluster-apiservice\n    object: { kind: APIService, name: v1alpha1.cluster.karmada.io }\n\
         \x20   reason: aggregated apiserver rolls out next week\n    expires: 2020-01-31\n",
    )
    .expect("write");
    let w = waivers.to_str().expect("utf-8");
    // Pre phase: without the waiver these are actions, exit 0.
    let (code, _) = common::check(&[V010, "--phase", "pre"]);
    assert_eq!(code, 0);
    let (code, report) = common::check(&[V010, "--phase", "pre", "--waivers", w]);
    assert_eq!(code, 1, "an expired waiver fails the run");
    let f = common::only(&report, "waiver-expired");
    assert_eq!(f["id"], "KP0002");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["severity"], "error");
    let msg = f["message"].as_str().unwrap_or("");
    assert!(
        msg.contains(&format!("{w}:2")),
        "names the waiver file:line: {msg}"
    );
    assert!(msg.contains("2020-01-31"), "{msg}");
    assert_eq!(f["location"]["line"], 2);
    // ... and suppresses nothing.
    assert_eq!(
        common::only(&report, "cluster-apiservice")["status"],
        "action"
    );
    assert_eq!(report["summary"]["suppressed"], 0);
}

#[test]
fn a_valid_waiver_found_in_the_input_dir_suppresses_its_findings() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::copy(APISERVER, d.path().join("karmada-apiserver.yaml")).expect("copy");
    std::fs::write(
        d.path().join(".karmada-preflight.yaml"),
        "waivers:\n  - rule: KP1003\n    object: { namespace: karmada-system, name: karmada-apiserver }\n\
         \x20   reason: accepted until the maintenance window\n    expires: 2999-12-31\n",
    )
    .expect("write");
    let (code, report) = common::check(&[d.path().to_str().expect("utf-8"), "--phase", "post"]);
    let f = common::only(&report, "apiserver-front-proxy-flags");
    assert_eq!(f["status"], "suppressed");
    let by = f["suppressedBy"].as_str().unwrap_or("");
    assert!(
        by.starts_with("waiver ") && by.contains(".karmada-preflight.yaml:2"),
        "{by}"
    );
    assert!(by.contains("accepted until the maintenance window"), "{by}");
    assert_eq!(common::only(&report, "waiver-expired")["status"], "pass");
    // The remaining post-phase errors (CRD, APIService) still gate the run.
    assert_eq!(code, 1);
}

#[test]
fn a_broken_waiver_file_is_an_error_naming_file_and_line() {
    let d = tempfile::tempdir().expect("tempdir");
    let w = d.path().join("w.yaml");
    std::fs::write(&w, "waivers:\n  - rule: no-such-rule\n    reason: x\n").expect("write");
    let (code, out, err) = run(&["check", V010, "--waivers", w.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("w.yaml:2") && err.contains("no-such-rule"),
        "{err}"
    );
}

#[test]
fn compare_reports_a_missing_cluster_and_exits_1() {
    let (code, out, err) = run(&[
        "compare",
        "fixtures/compare/before",
        "fixtures/compare/after",
        "-o",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v["clusters"]["before"],
        serde_json::json!(["member1", "member2", "member3"])
    );
    assert_eq!(v["clusters"]["missing"], serde_json::json!(["member2"]));
    assert_eq!(v["summary"]["missingClusters"], 1);
    assert!(
        err.contains("Cluster member2 was present before and is missing after"),
        "{err}"
    );

    let (code, out, _) = run(&[
        "compare",
        "fixtures/compare/before",
        "fixtures/compare/after",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("MISSING  member2"), "{out}");

    // Nothing lost: exit 0.
    let (code, _, err) = run(&[
        "compare",
        "fixtures/compare/before",
        "fixtures/compare/before",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn compare_reads_json_reports_and_matches_findings_by_fingerprint() {
    let d = tempfile::tempdir().expect("tempdir");
    let before = d.path().join("before.json");
    let after = d.path().join("after.json");
    let (_, b) = common::check(&["fixtures/compare/before", "--phase", "post"]);
    let (_, a) = common::check(&["fixtures/compare/after", "--phase", "post"]);
    assert_eq!(
        b["objects"]["clusters"],
        serde_json::json!(["member1", "member2", "member3"])
    );
    std::fs::write(&before, b.to_string()).expect("write");
    std::fs::write(&after, a.to_string()).expect("write");
    let (code, out, err) = run(&[
        "compare",
        before.to_str().expect("utf-8"),
        after.to_str().expect("utf-8"),
        "-o",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["clusters"]["missing"], serde_json::json!(["member2"]));
    assert_eq!(v["summary"]["new"], 0);
    assert!(v["summary"]["unchanged"].as_u64().unwrap_or(0) > 0);
    // Findings about the lost Cluster are not "resolved": their subject is gone.
    let about_member2 = |k: &str| -> usize {
        v[k].as_array()
            .map(|a| {
                a.iter()
                    .filter(|f| f["object"] == "karmada/Cluster/member2")
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(about_member2("resolved"), 0, "{v:#}");
    let open_on_member2 = b["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["object"]["kind"] == "Cluster" && f["object"]["name"] == "member2")
        .filter(|f| {
            matches!(
                f["status"].as_str(),
                Some("fail" | "blocker" | "action" | "unknown")
            )
        })
        .count();
    assert_eq!(about_member2("objectGone"), open_on_member2);
    assert_eq!(v["summary"]["resolved"].as_u64(), Some(0));

    // A finding only in AFTER is new, and a new error fails the comparison.
    let (_, v10) = common::check(&[V010, "--phase", "post"]);
    std::fs::write(&after, v10.to_string()).expect("write");
    let mut b2 = b.clone();
    b2["objects"]["clusters"] = serde_json::json!([]);
    std::fs::write(&before, b2.to_string()).expect("write");
    let (code, out, _) = run(&[
        "compare",
        before.to_str().expect("utf-8"),
        after.to_str().expect("utf-8"),
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert!(v["summary"]["newErrors"].as_u64().unwrap_or(0) > 0, "{v:#}");
    assert_eq!(code, 1);
}

#[test]
fn exit_codes_are_the_same_in_every_format() {
    let formats = ["table", "json", "yaml", "sarif", "junit", "markdown"];
    for (args, want) in [
        (vec!["check", V010, "--phase", "post"], 1),
        (vec!["check", V010, "--phase", "pre"], 0),
        (
            vec!["check", V010, "--phase", "pre", "--fail-on", "action"],
            1,
        ),
        (
            vec![
                "check",
                "fixtures/karmada-v1.0.0",
                "--phase",
                "post",
                "--fail-on",
                "never",
            ],
            0,
        ),
        (vec!["check", "no/such/dir"], 2),
    ] {
        for f in formats {
            let mut a = args.clone();
            a.extend(["-o", f]);
            let (code, _, err) = run(&a);
            assert_eq!(code, want, "{a:?}: {err}");
        }
    }
}

#[test]
fn several_outputs_in_one_run() {
    let d = tempfile::tempdir().expect("tempdir");
    let s = d.path().join("report.sarif");
    let j = d.path().join("report.xml");
    let m = d.path().join("report.md");
    let spec = |f: &str, p: &Path| format!("{f}={}", p.display());
    let (code, out, err) = run(&[
        "check",
        V010,
        "--phase",
        "post",
        "-o",
        "table",
        "-o",
        &spec("sarif", &s),
        "-o",
        &spec("junit", &j),
        "-o",
        &spec("markdown", &m),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("apiserver-front-proxy-flags"));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&s).expect("sarif")).expect("json");
    assert!(sarif_validator().is_valid(&sarif));
    roxmltree::Document::parse(&std::fs::read_to_string(&j).expect("junit")).expect("xml");
    assert!(std::fs::read_to_string(&m)
        .expect("md")
        .starts_with("# Karmada upgrade verification report"));
}

#[test]
fn rules_shows_severity_version_shows_rules_version_and_completions_work() {
    let (code, out, _) = run(&["rules", "-o", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    let flags = v["rules"]
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["name"] == "apiserver-front-proxy-flags")
        .expect("rule");
    assert_eq!(flags["severity"], "error");
    let (_, table, _) = run(&["rules"]);
    assert!(table.contains("SEVERITY"));

    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "(rules {})",
            karmada_preflight::rules::catalog::RULES_VERSION
        )),
        "{out}"
    );

    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("karmada-preflight") && out.contains("compare"),
            "{shell}"
        );
    }
}

#[test]
fn waiver_file_in_the_current_directory_is_found() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join(".karmada-preflight.yaml"),
        "- rule: cluster-crd-removed\n  reason: old\n  expires: 2021-06-01\n",
    )
    .expect("write");
    let fixtures = std::fs::canonicalize(V010).expect("fixtures");
    let (code, out, err) = run_in(
        Some(d.path()),
        &[
            "check",
            fixtures.to_str().expect("utf-8"),
            "--phase",
            "pre",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let f = common::only(&v, "waiver-expired");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or("")
            .contains(".karmada-preflight.yaml:1"),
        "{f:#}"
    );
}
