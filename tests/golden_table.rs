//! What an operator sees: `check` on the bundled v0.10.1 install at 80 and 200 columns,
//! piped (width from `COLUMNS`) and in a pseudo-terminal (width from the terminal, no
//! `COLUMNS`), compared with the golden files in tests/golden/. The pty run must print
//! exactly what the piped run prints: the phase line once, no line wider than the
//! terminal, rule names and ids whole.
//!
//! A rule or message change shows up here as a diff; after reading it, regenerate with
//! `UPDATE_GOLDEN=1 cargo test --test golden_table`.
//!
//! The pty comes from `script` (util-linux / bsdutils; `.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

const INPUT: &str = "fixtures/karmada-v0.10.1";

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_karmada-preflight"))
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

#[track_caller]
fn assert_golden(name: &str, got: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with UPDATE_GOLDEN=1 cargo test --test golden_table",
            path.display()
        )
    });
    if want != got {
        let first = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n--- want\n{}\n--- got\n{}\n\
             (regenerate with UPDATE_GOLDEN=1 cargo test --test golden_table)",
            first + 1,
            want.lines().nth(first).unwrap_or("<end>"),
            got.lines().nth(first).unwrap_or("<end>")
        );
    }
}

/// `check INPUT [extra]` with stdout piped and `COLUMNS=cols`.
fn piped(cols: usize, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("check")
        .arg(INPUT)
        .args(extra)
        .env("COLUMNS", cols.to_string())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `check INPUT` in a pseudo-terminal `cols` wide, without `COLUMNS`: stdout and stderr
/// both go to the terminal, as for a person typing the command.
fn in_pty(cols: usize) -> (i32, String) {
    let script = Command::new("script").arg("--version").output();
    assert!(
        script.is_ok_and(|o| o.status.success()),
        "`script` (util-linux) is needed for the pseudo-terminal test: apt-get install bsdutils"
    );
    let cmd = format!(
        "stty cols {cols} rows 200; exec '{}' check {INPUT}",
        bin().display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n");
    (out.status.code().unwrap_or(-1), text)
}

#[track_caller]
fn fits(text: &str, cols: usize) {
    for l in text.lines() {
        assert!(
            unicode_width(l) <= cols,
            "line wider than {cols} columns ({}):\n{l}",
            unicode_width(l)
        );
    }
}

/// Columns of a line of this output (ASCII plus `…` and `—`, one column each).
fn unicode_width(l: &str) -> usize {
    l.chars().count()
}

/// Every rule id and name of a finding appears whole on one line.
#[track_caller]
fn rule_names_whole(text: &str) {
    let out = Command::new(bin())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", INPUT, "-o", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in report["findings"].as_array().unwrap() {
        if matches!(f["status"].as_str(), Some("pass" | "skip" | "suppressed")) {
            continue;
        }
        let id_and_name = format!(
            "{} {}",
            f["id"].as_str().unwrap(),
            f["rule"].as_str().unwrap()
        );
        assert!(
            text.lines().any(|l| l.contains(&id_and_name)),
            "{id_and_name} is not whole on a line:\n{text}"
        );
    }
}

#[test]
fn check_piped_at_80_columns() {
    let (code, out, err) = piped(80, &[]);
    assert_eq!(code, 0, "{err}");
    fits(&out, 80);
    rule_names_whole(&out);
    assert_eq!(out.matches("phase pre").count(), 1, "{out}");
    assert!(
        !err.contains("phase pre"),
        "the table has the phase line; stderr does not repeat it: {err}"
    );
    // Too narrow for the message beside the other columns: it has a line of its own,
    // under the rule, instead of the eight characters it once got ("The Repl…").
    assert!(
        out.contains(
            "\n             The ReplicaSchedulingPolicy API is removed: manifests kept outside"
        ),
        "{out}"
    );
    assert_golden("check-v0.10.1-80.txt", &out);
}

#[test]
fn check_piped_at_200_columns() {
    let (code, out, err) = piped(200, &[]);
    assert_eq!(code, 0, "{err}");
    fits(&out, 200);
    rule_names_whole(&out);
    assert_golden("check-v0.10.1-200.txt", &out);
}

#[test]
fn check_in_a_terminal_80_columns_wide() {
    let (code, out) = in_pty(80);
    assert_eq!(code, 0, "{out}");
    fits(&out, 80);
    assert_eq!(
        out.matches("phase pre").count(),
        1,
        "phase line once: {out}"
    );
    assert_golden("check-v0.10.1-80.txt", &out);
}

#[test]
fn check_in_a_terminal_200_columns_wide() {
    let (code, out) = in_pty(200);
    assert_eq!(code, 0, "{out}");
    fits(&out, 200);
    assert_golden("check-v0.10.1-200.txt", &out);
}

/// The compact table lists only what needs attention; `-v` adds the passes and skips,
/// each finding's evidence and its remediation, still within the width (commands
/// excepted: they stay on one line to be copied).
#[test]
fn verbose_adds_passes_skips_evidence_and_remediation() {
    let (_, compact, _) = piped(80, &[]);
    let (code, verbose, err) = piped(80, &["-v"]);
    assert_eq!(code, 0, "{err}");
    assert!(!compact.contains("KP0001 input-valid"), "{compact}");
    // The status column is as wide as its widest entry (`fail (info)` of a release note).
    let row = |status: &str, rule: &str| {
        verbose.lines().any(|l| {
            l.split_whitespace()
                .take(3)
                .eq(std::iter::once(status).chain(rule.split(' ')))
        })
    };
    assert!(row("pass", "KP0001 input-valid"), "{verbose}");
    assert!(row("skip", "KP0003 upgrade-path"), "{verbose}");
    let indented = |text: &str| {
        verbose
            .lines()
            .any(|l| l.starts_with("         ") && l.trim_start().starts_with(text))
    };
    assert!(
        indented("- --proxy-client-cert-file=/etc/kubernetes/pki/karmada.crt"),
        "evidence of KP1003: {verbose}"
    );
    assert!(indented("fix: "), "{verbose}");
    // Wider lines only where breaking would split a word: a command, a diff, or a
    // labelled path (`location  fixtures/…/karmada-apiserver.yaml:57`).
    for l in verbose.lines().filter(|l| unicode_width(l) > 80) {
        let words: Vec<&str> = l.split_whitespace().collect();
        let unbreakable = l.starts_with("             ")
            || words.len() == 1
            || (words.len() == 2 && matches!(words[0], "object" | "location" | "-"));
        assert!(unbreakable, "prose wider than 80 columns:\n{l}");
    }
}
