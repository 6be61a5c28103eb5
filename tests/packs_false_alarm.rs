//! False-alarm guard: a release's own official manifests are the state that release's
//! maintainers ship, so checking them `--phase post` for the hop into that release must not
//! report a `fail` or `blocker` from that hop's pack. Run over every tagged release in
//! fixtures/releases (v0.10.0 … v1.19.0-rc.0; v1.0.0 lives in fixtures/karmada-v1.0.0).
//! The artifacts' images are `:latest`, so no image-version rule may fail on them either.
//! The official Helm renders (v1.5, v1.9, v1.12, v1.16) are held to the same promise.

mod common;

use common::check;
use serde_json::Value;

/// (hop source, hop target, the target release's official deploy manifests).
const RELEASES: &[(&str, &str, &str)] = &[
    (
        "v0.9",
        "v0.10",
        "fixtures/releases/v0.10.0/artifacts/deploy",
    ),
    ("v0.10", "v1.0", "fixtures/karmada-v1.0.0/artifacts/deploy"),
    ("v1.0", "v1.1", "fixtures/releases/v1.1.0/artifacts/deploy"),
    ("v1.1", "v1.2", "fixtures/releases/v1.2.0/artifacts/deploy"),
    ("v1.2", "v1.3", "fixtures/releases/v1.3.0/artifacts/deploy"),
    ("v1.3", "v1.4", "fixtures/releases/v1.4.0/artifacts/deploy"),
    ("v1.4", "v1.5", "fixtures/releases/v1.5.0/artifacts/deploy"),
    ("v1.5", "v1.6", "fixtures/releases/v1.6.0/artifacts/deploy"),
    ("v1.6", "v1.7", "fixtures/releases/v1.7.0/artifacts/deploy"),
    ("v1.7", "v1.8", "fixtures/releases/v1.8.0/artifacts/deploy"),
    ("v1.8", "v1.9", "fixtures/releases/v1.9.0/artifacts/deploy"),
    (
        "v1.9",
        "v1.10",
        "fixtures/releases/v1.10.0/artifacts/deploy",
    ),
    (
        "v1.10",
        "v1.11",
        "fixtures/releases/v1.11.0/artifacts/deploy",
    ),
    (
        "v1.11",
        "v1.12",
        "fixtures/releases/v1.12.0/artifacts/deploy",
    ),
    (
        "v1.12",
        "v1.13",
        "fixtures/releases/v1.13.0/artifacts/deploy",
    ),
    (
        "v1.13",
        "v1.14",
        "fixtures/releases/v1.14.0/artifacts/deploy",
    ),
    (
        "v1.14",
        "v1.15",
        "fixtures/releases/v1.15.0/artifacts/deploy",
    ),
    (
        "v1.15",
        "v1.16",
        "fixtures/releases/v1.16.0/artifacts/deploy",
    ),
    (
        "v1.16",
        "v1.17",
        "fixtures/releases/v1.17.0/artifacts/deploy",
    ),
    (
        "v1.17",
        "v1.18",
        "fixtures/releases/v1.18.0/artifacts/deploy",
    ),
    (
        "v1.18",
        "v1.19",
        "fixtures/releases/v1.19.0-rc.0/artifacts/deploy",
    ),
];

/// The official Helm chart renders of four releases (hook ConfigMaps carry the webhooks and
/// APIServices): the same promise holds for chart users.
const HELM: &[(&str, &str, &str)] = &[
    (
        "v1.4",
        "v1.5",
        "fixtures/releases/v1.5.0/helm-template.yaml",
    ),
    (
        "v1.8",
        "v1.9",
        "fixtures/releases/v1.9.0/helm-template.yaml",
    ),
    (
        "v1.11",
        "v1.12",
        "fixtures/releases/v1.12.0/helm-template.yaml",
    ),
    (
        "v1.15",
        "v1.16",
        "fixtures/releases/v1.16.0/helm-template.yaml",
    ),
];

/// False alarms found by this guard in rules of other packs, reported and left to their
/// owner (never silently tolerated: an entry that no longer fires fails the test too, so
/// the list only shrinks). (hop, rule, why it fires).
const KNOWN: &[(&str, &str, &str)] = &[];

/// "rule status file:line: message" for every fail/blocker of `hop` (any hop: `None`) in the
/// report. A `fail` of severity info is a release note every run lists (what state cannot
/// show), not an alarm about the manifests.
fn false_alarms(report: &Value, hop: Option<&str>) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| hop.is_none_or(|h| f["hop"] == h))
        .filter(|f| f["status"] == "fail" || f["status"] == "blocker")
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            format!(
                "{} {} {}:{}: {}",
                f["rule"].as_str().unwrap_or("?"),
                f["status"].as_str().unwrap_or("?"),
                f["location"]["file"].as_str().unwrap_or("-"),
                f["location"]["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn each_release_passes_the_hop_into_it() {
    let mut alarms = Vec::new();
    let mut evaluated = 0;
    let mut known_seen: Vec<&str> = Vec::new();
    for (from, to, dir) in RELEASES.iter().chain(HELM) {
        let hop = format!("{from}->{to}");
        let (_, report) = check(&[dir, "--from", from, "--to", to, "--phase", "post"]);
        evaluated += report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["hop"] == hop.as_str() && f["status"] != "skip")
            .count();
        for a in false_alarms(&report, Some(&hop)) {
            match KNOWN
                .iter()
                .find(|(h, rule, _)| *h == hop && a.starts_with(&format!("{rule} ")))
            {
                Some(k) => known_seen.push(k.1),
                None => alarms.push(format!("{hop} on {dir}: {a}")),
            }
        }
    }
    for (hop, rule, why) in KNOWN {
        assert!(
            known_seen.contains(rule),
            "{hop} {rule} no longer false-alarms ({why}): remove it from KNOWN"
        );
    }
    assert!(
        alarms.is_empty(),
        "official manifests flagged by the hop into their own release:\n{}",
        alarms.join("\n")
    );
    // The guard means something only if the packs actually looked at the manifests.
    assert!(evaluated >= 30, "only {evaluated} hop findings evaluated");
}

/// The guard itself can fail: the v1.2.0 manifests checked as if they were v1.3's end
/// state carry --insecure-port, which v1.3's kube-apiserver rejects.
#[test]
fn the_guard_catches_a_release_checked_against_the_wrong_hop() {
    let (_, report) = check(&[
        "fixtures/releases/v1.2.0/artifacts/deploy",
        "--from",
        "v1.2",
        "--to",
        "v1.3",
        "--phase",
        "post",
    ]);
    let alarms = false_alarms(&report, Some("v1.2->v1.3"));
    assert!(
        alarms
            .iter()
            .any(|a| a.starts_with("apiserver-insecure-port-removed fail")),
        "{alarms:?}"
    );
}

/// What a user of the official manifests sees first: no flags at all. The tool picks the
/// path from what it detects (often a range, as the images are `:latest`), and whatever it
/// picks, the release's own manifests must not fail or block (v0.9.0 is excluded: the default
/// path from it is two hops, which KP1009 rightly blocks).
#[test]
fn each_release_checked_with_no_flags_has_no_fail_or_blocker() {
    let mut alarms = Vec::new();
    for (_, _, dir) in RELEASES {
        let (code, report) = check(&[dir]);
        let found: Vec<String> = false_alarms(&report, None)
            .into_iter()
            .map(|a| format!("{dir}: {a}"))
            .collect();
        // Exit 2 is right when the run could not pick the hop (a range of releases, no
        // --to) and says so in KP0010; any other non-zero exit needs a fail or blocker.
        let unchecked = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "hop-pack-known" && f["status"] == "unknown");
        if code != 0 && found.is_empty() && !(code == 2 && unchecked) {
            alarms.push(format!("{dir}: exit {code} with no fail or blocker"));
        }
        alarms.extend(found);
    }
    assert!(alarms.is_empty(), "false alarms:\n{}", alarms.join("\n"));
}
