//! One change, one step: the karmada-apiserver patch two rules share is run once.
//! A fix dir used twice holds the second plan only: the files the first run wrote
//! (including the 0600 generated key and its Secret patch) are removed first, and a
//! folder holding files the tool did not write is refused, with nothing removed.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;

fn check_into(input: &str, phase: &str, dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            input,
            "--phase",
            phase,
            "--fail-on",
            "never",
            "-o",
            "json",
        ])
        .arg("--fix-dir")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`, relative, `front-proxy/…` for the generated folder.
fn files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            for i in std::fs::read_dir(e.path()).unwrap() {
                out.insert(format!(
                    "{name}/{}",
                    i.unwrap().file_name().to_string_lossy()
                ));
            }
        } else {
            out.insert(name);
        }
    }
    out
}

#[test]
fn a_reused_fix_dir_holds_only_the_new_plan() {
    let d = tempfile::tempdir().unwrap();
    let fixes = d.path().join("fixes");
    let (code, err) = check_into(
        "fixtures/karmada-v0.10.1",
        "pre",
        &fixes,
        &["--generate-front-proxy-certs"],
    );
    assert_eq!(code, 0, "{err}");
    let first = files(&fixes);
    assert!(
        first.contains("front-proxy/front-proxy-ca.key"),
        "{first:?}"
    );
    assert!(
        first
            .iter()
            .any(|f| f.ends_with(".generated.merge-patch.json")),
        "{first:?}"
    );

    // The same folder for the state after the upgrade: a shorter plan, and nothing of
    // the first one left behind.
    let (code, err) = check_into("fixtures/karmada-v1.0.0", "post", &fixes, &[]);
    assert_eq!(code, 0, "{err}");
    let second = files(&fixes);
    let listed: BTreeSet<String> =
        std::fs::read_to_string(fixes.join(".karmada-preflight-written"))
            .unwrap()
            .lines()
            .map(String::from)
            .chain([".karmada-preflight-written".to_string()])
            .collect();
    assert_eq!(second, listed, "only what the second run wrote");
    assert!(
        !second.iter().any(|f| f.starts_with("front-proxy")),
        "{second:?}"
    );
    assert!(second.contains("PLAN.md"));
}

#[test]
fn a_fix_dir_with_other_files_is_refused_untouched() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("notes.txt"), "mine\n").unwrap();
    let (code, err) = check_into("fixtures/karmada-v0.10.1", "pre", d.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("holds files karmada-preflight did not write (notes.txt)"),
        "{err}"
    );
    assert_eq!(files(d.path()), BTreeSet::from(["notes.txt".to_string()]));
}

#[test]
fn the_shared_apiserver_patch_is_run_once_in_the_plan() {
    let d = tempfile::tempdir().unwrap();
    let (code, err) = check_into("fixtures/karmada-v0.10.1", "pre", d.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let plan = std::fs::read_to_string(d.path().join("PLAN.md")).unwrap();
    let patch = "kubectl --context karmada-host -n karmada-system patch deployment karmada-apiserver \
                 --type=json --patch-file pool.karmada-system.deployment.karmada-apiserver.patch.json";
    let runs = plan.lines().filter(|l| *l == patch).count();
    assert_eq!(runs, 1, "{plan}");
    assert!(
        plan.contains(&format!(
            "Already done by a step above (run it once): `{patch}`"
        )),
        "{plan}"
    );
}
