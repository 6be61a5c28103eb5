//! Upgrade paths: which hops (`v1.0->v1.1`) a run covers, and so which rule packs apply.
//!
//! Karmada upgrades one minor at a time; each hop has its own pack (`rules/karmada-vA.B-to-vC.D`).
//! `check --to` computes the hops from the installed (or `--from`) version to the target
//! with [`KarmadaVersion::minor_steps_between`] and runs every pack on the path, in order.
//! Without `--to`, an install detected at an exact release is verified as that release
//! and the next hop is shown ([`detected_default`]); otherwise the default path is the
//! single hop v0.10 -> v1.0, the tool's original scope. Rules without a hop (pack `core`,
//! user rules that name none) always run.
//!
//! Unknown ground is never a pass: the releases the rules were written against are listed
//! in [`KNOWN_RELEASES`]; a `--from`/`--to` outside them is a usage error naming them, and a
//! hop on the path that no pack covers is reported `unknown` by the core rule
//! `hop-pack-known` (it reads [`UpgradePlan::rules_per_hop`]).

use std::collections::BTreeMap;

use crate::k8s::{KarmadaVersion, MinorHop};

/// Every Karmada minor release the bundled packs were researched against, oldest first
/// (v1.19 from its release candidates). Extend it together with the packs of a new release.
pub const KNOWN_RELEASES: &[(u32, u32)] = &[
    (0, 9),
    (0, 10),
    (1, 0),
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (1, 9),
    (1, 10),
    (1, 11),
    (1, 12),
    (1, 13),
    (1, 14),
    (1, 15),
    (1, 16),
    (1, 17),
    (1, 18),
    (1, 19),
];

/// The newest release the rules know.
pub fn newest_known() -> (u32, u32) {
    KNOWN_RELEASES[KNOWN_RELEASES.len() - 1]
}

pub fn is_known_release(minor: (u32, u32)) -> bool {
    KNOWN_RELEASES.contains(&minor)
}

/// `v0.9, v0.10, v1.0, …` for error messages.
pub fn known_releases_list() -> String {
    KNOWN_RELEASES
        .iter()
        .map(|(a, b)| format!("v{a}.{b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The release after `minor`, when the rules know it (`v1.18` -> `v1.19`).
pub fn next_known(minor: (u32, u32)) -> Option<(u32, u32)> {
    let i = KNOWN_RELEASES.iter().position(|m| *m == minor)?;
    KNOWN_RELEASES.get(i + 1).copied()
}

/// `v0.10->v1.0`: the form rule files use in `hop`.
pub fn hop_label(h: &MinorHop) -> String {
    h.label()
}

/// The hop a pack name such as `karmada-v1.0-to-v1.1` stands for.
pub fn hop_of_pack(pack: &str) -> Option<MinorHop> {
    let rest = pack.strip_prefix("karmada-")?;
    let (from, to) = rest.split_once("-to-")?;
    MinorHop::parse(&format!("{from}->{to}"))
}

#[derive(Debug, Clone)]
pub struct UpgradePlan {
    /// Where the installation is, as given or detected (`v0.10-like`, `v1.0.5`).
    pub from: Option<String>,
    pub to: Option<String>,
    pub hops: Vec<MinorHop>,
    /// The user asked for this path with `--to` (the default path is not a jump).
    pub explicit: bool,
    /// Rules loaded for each hop label (`v1.12->v1.13` -> 7); a hop of the path missing
    /// here has no pack, so nothing about it was checked. Filled by [`UpgradePlan::with_catalog`].
    pub rules_per_hop: BTreeMap<String, usize>,
    /// Rules of earlier hops (by name) that also run: the lasting invariants a detected
    /// install is verified against (rules marked `lasting: true`).
    pub lasting: Vec<String>,
    /// The installation is at a release newer than any the rules know (`v1.20.1`): nothing
    /// of it can be checked, which `hop-pack-known` reports as unknown.
    pub beyond: Option<String>,
    /// No hop could be chosen without `--to`: the evidence rules out the default v0.10 ->
    /// v1.0 pack but names no single release (components on v1.15 and v1.16, a Karmada CR
    /// with `imageTag: latest`). Why, in words; `hop-pack-known` reports it as unknown.
    pub unchosen: Option<String>,
}

/// What a run without `--to` does on an install detected at an exact release.
#[derive(Debug, Clone)]
pub struct DetectedDefault {
    /// Verify it as that release: the hop into it (post) and the lasting invariants.
    pub verify: UpgradePlan,
    /// What the next hop needs (run in the pre phase), when the rules know the next release.
    pub next: Option<UpgradePlan>,
    /// What was chosen and why, for stderr and the report's `phaseReason`: the
    /// verification, then what is shown of the next hop.
    pub reason: String,
    /// The verification alone (`--phase post`).
    pub verify_reason: String,
}

/// The default plans for a detected version: `Some` for an exact known release from v0.10
/// on (`v1.16.0`), or for one newer than the rules know; `None` for a fingerprint
/// (`v1.0-like`), a range, or nothing detected (the original v0.10 -> v1.0 default stays).
///
/// `lasting`: the rules of earlier hops whose `post` state every later release keeps
/// (`Catalog::lasting`); they run when the install is verified.
pub fn detected_default(version: Option<&str>, lasting: &[String]) -> Option<DetectedDefault> {
    let raw = version?;
    if raw.contains("like") || raw.contains('\u{2013}') || raw.matches('v').count() > 1 {
        return None;
    }
    let v = KarmadaVersion::parse(raw).ok()?;
    let at = (v.major(), v.minor());
    let label = |m: (u32, u32)| format!("v{}.{}", m.0, m.1);
    if at > newest_known() {
        return Some(DetectedDefault {
            verify: UpgradePlan {
                from: Some(raw.to_string()),
                to: None,
                hops: Vec::new(),
                explicit: false,
                rules_per_hop: BTreeMap::new(),
                lasting: Vec::new(),
                beyond: Some(raw.to_string()),
                unchosen: None,
            },
            next: None,
            reason: format!(
                "Karmada {raw} is newer than {}, the newest release these rules know: only the core \
                 rules ran",
                label(newest_known())
            ),
            verify_reason: String::new(),
        });
    }
    let i = KNOWN_RELEASES.iter().position(|m| *m == at)?;
    let prev = *KNOWN_RELEASES.get(i.checked_sub(1)?)?;
    let into = MinorHop { from: prev, to: at };
    let verify = UpgradePlan {
        from: Some(label(prev)),
        to: Some(raw.to_string()),
        hops: vec![into],
        explicit: false,
        rules_per_hop: BTreeMap::new(),
        lasting: lasting.to_vec(),
        beyond: None,
        unchosen: None,
    };
    let next = next_known(at).map(|n| UpgradePlan {
        from: Some(raw.to_string()),
        to: Some(label(n)),
        hops: vec![MinorHop { from: at, to: n }],
        explicit: false,
        rules_per_hop: BTreeMap::new(),
        lasting: Vec::new(),
        beyond: None,
        unchosen: None,
    });
    let ahead = match next_known(at) {
        Some(n) => format!(
            "; what {} -> {} needs is listed as that hop's actions (pass --to {} for the full \
             pre-upgrade audit with blockers and errors)",
            label(at),
            label(n),
            label(n)
        ),
        None => format!(
            "; {} is the newest release these rules know, so no next hop is shown",
            label(at)
        ),
    };
    let verify_reason = format!(
        "verifying it as {} (post checks of {} and the lasting checks of v1.0's Cluster API: {})",
        label(at),
        hop_label(&into),
        lasting.join(", ")
    );
    Some(DetectedDefault {
        verify,
        next,
        reason: format!("{verify_reason}{ahead}"),
        verify_reason,
    })
}

impl Default for UpgradePlan {
    fn default() -> Self {
        UpgradePlan {
            from: None,
            to: None,
            hops: vec![MinorHop {
                from: (0, 10),
                to: (1, 0),
            }],
            explicit: false,
            rules_per_hop: BTreeMap::new(),
            lasting: Vec::new(),
            beyond: None,
            unchosen: None,
        }
    }
}

/// `--from`/`--to` name a release the rules know, else a usage error listing them.
fn known(flag: &str, s: &str) -> anyhow::Result<KarmadaVersion> {
    let v = KarmadaVersion::parse(s).map_err(|e| anyhow::anyhow!("{flag}: {e}"))?;
    let minor = (v.major(), v.minor());
    if !is_known_release(minor) {
        let (a, b) = newest_known();
        let why = if minor > (a, b) {
            format!("it is newer than v{a}.{b}, the newest release these rules know")
        } else {
            "Karmada has no such release (or it predates the rules)".to_string()
        };
        anyhow::bail!(
            "{flag} {s}: v{}.{} is not a Karmada release the rules know ({why}); known releases: {}",
            v.major(),
            v.minor(),
            known_releases_list()
        );
    }
    Ok(v)
}

impl UpgradePlan {
    pub fn between(from: &str, to: &str) -> anyhow::Result<UpgradePlan> {
        let t = known("--to", to)?;
        let f = known("--from", from)?;
        let hops = KarmadaVersion::minor_steps_between(f, t)?;
        if hops.is_empty() {
            anyhow::bail!(
                "the installation is already at v{}.{} ({from}); to verify the upgrade into it, \
                 pass the previous minor as --from and --phase post",
                t.major(),
                t.minor()
            );
        }
        Ok(UpgradePlan {
            from: Some(from.to_string()),
            to: Some(to.to_string()),
            hops,
            explicit: true,
            rules_per_hop: BTreeMap::new(),
            lasting: Vec::new(),
            beyond: None,
            unchosen: None,
        })
    }

    /// Record how many rules are loaded for each hop (`rules::path::rules_per_hop`), so
    /// hops without a pack are reported rather than silently passed.
    pub fn with_rules_per_hop(mut self, rules_per_hop: BTreeMap<String, usize>) -> UpgradePlan {
        self.rules_per_hop = rules_per_hop;
        self
    }

    /// The hops of the path no loaded rule covers.
    pub fn uncovered(&self) -> Vec<String> {
        self.labels()
            .into_iter()
            .filter(|h| self.rules_per_hop.get(h).copied().unwrap_or(0) == 0)
            .collect()
    }

    pub fn labels(&self) -> Vec<String> {
        self.hops.iter().map(hop_label).collect()
    }

    /// Position of a rule's hop on the path: `Some(0)` for rules that apply to every
    /// path (no hop, or lasting), `Some(i + 1)` for hop `i`, `None` when the rule is off
    /// the path.
    pub fn position(&self, rule_name: &str, hop: Option<&MinorHop>) -> Option<usize> {
        match hop {
            None => Some(0),
            Some(_) if self.lasting.iter().any(|l| l == rule_name) => Some(0),
            Some(h) => self.hops.iter().position(|x| x == h).map(|i| i + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_paths() {
        assert_eq!(
            hop_of_pack("karmada-v1.0-to-v1.1")
                .map(|h| h.label())
                .as_deref(),
            Some("v1.0->v1.1")
        );
        assert_eq!(hop_of_pack("core"), None);
        let p = UpgradePlan::between("v0.10-like", "v1.2").unwrap();
        assert_eq!(p.labels(), ["v0.10->v1.0", "v1.0->v1.1", "v1.1->v1.2"]);
        assert!(UpgradePlan::between("v1.2.0", "v1.2.3").is_err());
        assert!(UpgradePlan::between("v1.2.0", "v1.1").is_err());
    }

    #[test]
    fn releases_past_the_known_ones_are_refused_with_the_list() {
        let e = UpgradePlan::between("v1.18", "v1.23")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--to v1.23") && e.contains("newer than v1.19"),
            "{e}"
        );
        assert!(
            e.contains("v0.9, v0.10, v1.0,") && e.ends_with("v1.19"),
            "{e}"
        );
        let e = UpgradePlan::between("v1.99", "v1.100")
            .unwrap_err()
            .to_string();
        assert!(e.contains("v1.100") || e.contains("v1.99"), "{e}");
        assert!(UpgradePlan::between("v0.8", "v0.9").is_err());
        assert_eq!(next_known((1, 18)), Some((1, 19)));
        assert_eq!(next_known(newest_known()), None);
        let p = UpgradePlan::between("v1.17.3", "v1.19.0-rc.0").unwrap();
        assert_eq!(p.labels(), ["v1.17->v1.18", "v1.18->v1.19"]);
        assert_eq!(p.uncovered(), ["v1.17->v1.18", "v1.18->v1.19"]);
    }

    fn detected_default_of(version: Option<&str>) -> Option<DetectedDefault> {
        detected_default(version, &["cluster-crd-removed".to_string()])
    }

    #[test]
    fn a_detected_release_is_verified_and_its_next_hop_shown() {
        let d = detected_default_of(Some("v1.16.2")).unwrap();
        assert_eq!(d.verify.labels(), ["v1.15->v1.16"]);
        assert_eq!(d.next.unwrap().labels(), ["v1.16->v1.17"]);
        assert!(d
            .reason
            .starts_with("verifying it as v1.16 (post checks of v1.15->v1.16"));
        let d = detected_default_of(Some("v1.19.0-rc.0")).unwrap();
        assert!(d.next.is_none() && d.reason.contains("newest release"));
        let d = detected_default_of(Some("v1.20.1")).unwrap();
        assert!(d.verify.hops.is_empty() && d.reason.contains("newer than v1.19"));
        assert_eq!(d.verify.beyond.as_deref(), Some("v1.20.1"));
        assert!(detected_default_of(Some("v1.0-like")).is_none());
        assert!(detected_default_of(Some("v1.11-v1.13")).is_none());
        assert!(detected_default_of(Some("v0.9.0")).is_none());
        assert!(detected_default_of(None).is_none());
    }
}
