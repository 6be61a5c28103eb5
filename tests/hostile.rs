//! Hostile input: every file of the corpus below must give a finding that names the file
//! and line, never a panic or a hang, and the good files of the same run must still be
//! checked. Small cases are committed in `tests/hostile/`; big and binary ones are
//! generated here into a temp dir so the repository stays small and text-only.
//!
//! Time is bounded by `assert_cmd`'s timeout (a hang guard, not a speed assertion: speed
//! is measured by `cargo bench --bench offline`).

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use assert_cmd::Command;
use common::copy_dir;
use serde_json::Value;

const HANG_GUARD: Duration = Duration::from_secs(300);

struct Corpus {
    _tmp: tempfile::TempDir,
    hostile: PathBuf,
    good: PathBuf,
    /// chmod 000 only makes a file unreadable for non-root users.
    unreadable_is_unreadable: bool,
}

fn build_corpus() -> Corpus {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hostile = tmp.path().join("hostile");
    copy_dir(&root.join("tests/hostile"), &hostile);
    let good = tmp.path().join("good");
    copy_dir(&root.join("fixtures/karmada-v0.10.1"), &good);

    // 10k levels of nesting, block (compact `- - -` sequences: indentation-based block
    // mappings would need 10k^2 bytes of spaces) and flow.
    std::fs::write(
        hostile.join("deep-block.yaml"),
        format!("{}x\n", "- ".repeat(10_000)),
    )
    .unwrap();
    std::fs::write(
        hostile.join("deep-flow.yaml"),
        format!(
            "kind: Deployment\napiVersion: apps/v1\nspec: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    )
    .unwrap();

    // One 64 MiB document, over the 32 MiB default of --max-document-bytes.
    let mut big = String::with_capacity(64 << 20);
    big.push_str("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: huge\nspec:\n  template:\n    metadata:\n      annotations:\n");
    let mut i = 0;
    while big.len() < 64 << 20 {
        big.push_str(&format!("        note-{i}: \"{}\"\n", "z".repeat(100)));
        i += 1;
    }
    std::fs::write(hostile.join("huge-document.yaml"), big).unwrap();

    // Not text: invalid UTF-8 on line 3, a NUL on line 2, and a binary blob.
    std::fs::write(
        hostile.join("invalid-utf8.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff\xfe}\n",
    )
    .unwrap();
    std::fs::write(
        hostile.join("nul-byte.yaml"),
        b"apiVersion: v1\nkind: Con\0figMap\n",
    )
    .unwrap();
    let blob: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(hostile.join("binary.yaml"), blob).unwrap();

    // A 1 MB line: valid on its own, then a syntax error on the line after it, so the
    // reported line proves positions survive the long line.
    let long = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long-line\ndata:\n  blob: {}\n  broken: [unclosed\n",
        "y".repeat(1 << 20)
    );
    std::fs::write(hostile.join("long-line.yaml"), long).unwrap();

    // A directory that contains a link to itself.
    let looped = hostile.join("loop");
    std::fs::create_dir_all(&looped).unwrap();
    std::os::unix::fs::symlink(&looped, looped.join("again")).unwrap();
    // A manifest name that leads nowhere, and a FIFO (reading it would block forever:
    // the walker must not open it).
    std::os::unix::fs::symlink(
        hostile.join("does-not-exist.yaml"),
        hostile.join("dangling.yaml"),
    )
    .unwrap();
    let fifo = hostile.join("fifo.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo failed");
    // chmod 000: unreadable for ordinary users, but root (CI containers) reads it anyway.
    let locked = hostile.join("unreadable.yaml");
    std::fs::write(
        &locked,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: locked}\n",
    )
    .unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let unreadable_is_unreadable = std::fs::read(&locked).is_err();
    Corpus {
        _tmp: tmp,
        hostile,
        good,
        unreadable_is_unreadable,
    }
}

/// `check ARGS PATHS -o json --fail-on never` within the hang guard: (exit code, stdout,
/// stderr), never a panic message.
fn invoke(args: &[&str], paths: &[&Path]) -> (Option<i32>, Vec<u8>, String) {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .arg("check")
        .args(args)
        .args(paths)
        .args(["-o", "json", "--fail-on", "never"])
        .timeout(HANG_GUARD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), out.stdout, stderr)
}

fn run(args: &[&str], paths: &[&Path]) -> (Value, String) {
    let (code, stdout, stderr) = invoke(args, paths);
    assert_eq!(code, Some(0), "check failed\n{stderr}");
    let report: Value =
        serde_json::from_slice(&stdout).unwrap_or_else(|e| panic!("bad json: {e}\n{stderr}"));
    (report, stderr)
}

/// A run over input with nothing usable left: exit 2, no report, and the problem on
/// stderr at its file and line. Returns stderr.
fn refused(args: &[&str], paths: &[&Path]) -> String {
    let (code, stdout, stderr) = invoke(args, paths);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "no report: {stderr}");
    stderr
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

/// The finding of `rule` in `file` (by file name) whose message contains `needle`.
fn find<'a>(report: &'a Value, rule: &str, file: &str, needle: &str) -> Option<&'a Value> {
    findings(report).iter().find(|f| {
        f["rule"] == rule
            && f["location"]["file"]
                .as_str()
                .is_some_and(|p| p.ends_with(file))
            && f["message"].as_str().is_some_and(|m| m.contains(needle))
    })
}

/// Collects mismatches so one run shows all of them.
#[derive(Default)]
struct Errors(Vec<String>);

impl Errors {
    fn expect_at(&mut self, report: &Value, rule: &str, file: &str, needle: &str, line: u64) {
        match find(report, rule, file, needle) {
            Some(f) if f["location"]["line"] == line => {}
            Some(f) => self.0.push(format!(
                "{file}: {needle:?} at line {} not {line}: {f:#}",
                f["location"]["line"]
            )),
            None => {
                let mine: Vec<String> = findings(report)
                    .iter()
                    .filter(|f| {
                        f["location"]["file"]
                            .as_str()
                            .is_some_and(|p| p.ends_with(file))
                    })
                    .map(|f| {
                        format!(
                            "{} {} line {}: {}",
                            f["rule"], f["status"], f["location"]["line"], f["message"]
                        )
                    })
                    .collect();
                self.0.push(format!(
                    "{file}: no {rule} finding with {needle:?}; its findings: {mine:#?}"
                ));
            }
        }
    }

    /// A problem with a whole file (unreadable, a loop, not a regular file): it names the
    /// path and no line, since no line of it was read.
    fn expect_whole_file(&mut self, report: &Value, rule: &str, file: &str, needle: &str) {
        match find(report, rule, file, needle) {
            Some(f) if f["location"]["line"].is_null() => {}
            Some(f) => self.0.push(format!("{file}: {needle:?} has a line: {f:#}")),
            None => self
                .0
                .push(format!("{file}: no {rule} finding with {needle:?}")),
        }
    }

    fn check(self) {
        assert!(self.0.is_empty(), "{}", self.0.join("\n"));
    }
}

#[test]
fn hostile_corpus_is_reported_by_file_and_line_and_good_files_still_checked() {
    let c = build_corpus();
    let (report, _) = run(&[], &[&c.hostile, &c.good]);

    let iv = "input-valid";
    let mut e = Errors::default();
    e.expect_at(
        &report,
        iv,
        "alias-bomb.yaml",
        "alias expansion exceeds",
        11,
    );
    e.expect_at(&report, iv, "deep-block.yaml", "nesting deeper than", 1);
    // saphyr's own recursion guard may stop flow nesting before --max-depth does.
    e.expect_at(&report, iv, "deep-flow.yaml", "", 3);
    // Reported at the first node past the limit: on the line holding byte 32 MiB or the next.
    let big = std::fs::read(c.hostile.join("huge-document.yaml")).unwrap();
    let limit_line = big[..32 << 20].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let huge = find(
        &report,
        iv,
        "huge-document.yaml",
        "byte limit (--max-document-bytes)",
    );
    let huge_line = huge
        .and_then(|f| f["location"]["line"].as_u64())
        .unwrap_or(0);
    if huge_line != limit_line && huge_line != limit_line + 1 {
        e.0.push(format!(
            "huge-document.yaml: {huge:?}, want line {limit_line} or the next"
        ));
    }
    e.expect_at(&report, iv, "invalid-utf8.yaml", "invalid UTF-8", 3);
    e.expect_at(&report, iv, "nul-byte.yaml", "NUL byte", 2);
    e.expect_at(&report, iv, "binary.yaml", "", 1);
    e.expect_at(&report, iv, "long-line.yaml", "syntax error", 8);
    e.expect_whole_file(&report, iv, "loop/again", "already visited");
    e.expect_whole_file(&report, iv, "dangling.yaml", "cannot read");
    e.expect_whole_file(&report, iv, "fifo.yaml", "not a regular file");
    if c.unreadable_is_unreadable {
        e.expect_whole_file(&report, iv, "unreadable.yaml", "cannot read");
    } else {
        eprintln!("running as root: chmod 000 does not stop root from reading, unreadable.yaml not asserted");
    }
    e.expect_at(&report, iv, "duplicate-keys.yaml", "duplicate key \"a\"", 7);
    e.expect_at(&report, iv, "non-mapping.yaml", "is a list", 2);
    e.expect_at(&report, iv, "non-mapping.yaml", "is a string", 5);
    e.expect_at(&report, iv, "missing-kind.yaml", "no kind", 1);
    e.expect_at(&report, iv, "missing-kind.yaml", "no apiVersion", 5);
    // Wrong types where rules look: the rule cannot decide (unknown) or the loader says
    // why the object is unusable; either way at the offending line.
    let wrong: Vec<_> = findings(&report)
        .iter()
        .filter(|f| {
            f["location"]["file"]
                .as_str()
                .is_some_and(|p| p.ends_with("wrong-types.yaml"))
        })
        .collect();
    let at_line = |line: u64| {
        wrong
            .iter()
            .any(|f| f["location"]["line"] == line && (f["rule"] == iv || f["status"] == "unknown"))
    };
    // command: string (14), containers: {} (24), metadata: [] (28). `replicas: "two"`
    // is read by no rule: it only has to cause no panic.
    if !at_line(14) || !at_line(24) || !at_line(28) {
        e.0.push(format!(
            "wrong-types.yaml: want findings at lines 14, 24 and 28: {wrong:#?}"
        ));
    }

    // The good files were still checked: the v0.10.1 install's Cluster CRD is found.
    let good = findings(&report).iter().any(|f| {
        f["rule"] == "cluster-crd-removed"
            && f["location"]["file"]
                .as_str()
                .is_some_and(|p| p.ends_with("cluster.karmada.io_clusters.yaml"))
    });
    if !good {
        e.0.push("no finding from the good fixture".into());
    }
    e.check();
}

#[test]
fn limits_are_configurable() {
    let c = build_corpus();
    let dup = c.hostile.join("duplicate-keys.yaml");
    // A tiny document limit rejects an ordinary file, at its first line past the limit.
    // With nothing else in the input there is nothing left to check: exit 2, the
    // problem on stderr at its file and line.
    let has = |stderr: &str, at: &str, needle: &str| {
        assert!(
            stderr.lines().any(|l| l.contains(at) && l.contains(needle)),
            "no {needle:?} at {at}:\n{stderr}"
        )
    };
    let stderr = refused(&["--max-document-bytes", "20"], &[&dup]);
    has(&stderr, "duplicate-keys.yaml:", "byte limit");
    let stderr = refused(&["--max-depth", "1"], &[&dup]);
    has(&stderr, "duplicate-keys.yaml:", "nesting deeper than 1");
    let stderr = refused(&["--max-file-bytes", "10"], &[&dup]);
    has(&stderr, "duplicate-keys.yaml: ", "--max-file-bytes");
    let bomb = c.hostile.join("alias-bomb.yaml");
    let stderr = refused(&["--max-alias-nodes", "5"], &[&bomb]);
    has(&stderr, "alias-bomb.yaml:8:", "exceeds 5 nodes");
}
