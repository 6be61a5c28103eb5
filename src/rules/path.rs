//! Upgrade paths: which hops (`v1.0->v1.1`) a run covers, and so which rule packs apply.
//!
//! Karmada upgrades one minor at a time; each hop has its own pack (`rules/karmada-vA.B-to-vC.D`).
//! `check --to` computes the hops from the installed (or `--from`) version to the target
//! with [`KarmadaVersion::minor_steps_between`] and runs every pack on the path, in order.
//! Without `--to` the default path is the single hop v0.10 -> v1.0, the tool's original
//! scope. Rules without a hop (pack `core`, user rules that name none) always run.

use crate::k8s::{KarmadaVersion, MinorHop};

use super::spec::RuleSpec;

/// `v0.10->v1.0`: the form rule files use in `hop`.
pub fn hop_label(h: &MinorHop) -> String {
    format!("v{}.{}->v{}.{}", h.from.0, h.from.1, h.to.0, h.to.1)
}

/// `v1.0->v1.1` (spaces allowed) as a hop.
pub fn parse_hop(s: &str) -> Option<MinorHop> {
    let s = s.replace(' ', "");
    let (a, b) = s.split_once("->")?;
    let mm = |v: &str| -> Option<(u32, u32)> {
        let (x, y) = v.strip_prefix('v')?.split_once('.')?;
        Some((x.parse().ok()?, y.parse().ok()?))
    };
    Some(MinorHop {
        from: mm(a)?,
        to: mm(b)?,
    })
}

/// The hop a pack name such as `karmada-v1.0-to-v1.1` stands for.
pub fn hop_of_pack(pack: &str) -> Option<String> {
    let rest = pack.strip_prefix("karmada-")?;
    let (from, to) = rest.split_once("-to-")?;
    let ok = |v: &str| {
        v.strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
    };
    (ok(from) && ok(to)).then(|| format!("{from}->{to}"))
}

#[derive(Debug, Clone)]
pub struct UpgradePlan {
    /// Where the installation is, as given or detected (`v0.10-like`, `v1.0.5`).
    pub from: Option<String>,
    pub to: Option<String>,
    pub hops: Vec<MinorHop>,
    /// The user asked for this path with `--to` (the default path is not a jump).
    pub explicit: bool,
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
        }
    }
}

impl UpgradePlan {
    pub fn between(from: &str, to: &str) -> anyhow::Result<UpgradePlan> {
        let f = KarmadaVersion::parse(from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
        let t = KarmadaVersion::parse(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
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
        })
    }

    pub fn labels(&self) -> Vec<String> {
        self.hops.iter().map(hop_label).collect()
    }

    /// Position of the rule's hop on the path: `Some(0)` for rules that apply to every
    /// path (no hop), `Some(i + 1)` for hop `i`, `None` when the rule is off the path.
    pub fn position(&self, spec: &RuleSpec) -> Option<usize> {
        match &spec.hop {
            None => Some(0),
            Some(h) => self
                .hops
                .iter()
                .position(|x| hop_label(x) == h.replace(' ', ""))
                .map(|i| i + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_paths() {
        assert_eq!(
            hop_of_pack("karmada-v1.0-to-v1.1").as_deref(),
            Some("v1.0->v1.1")
        );
        assert_eq!(hop_of_pack("core"), None);
        let p = UpgradePlan::between("v0.10-like", "v1.2").unwrap();
        assert_eq!(p.labels(), ["v0.10->v1.0", "v1.0->v1.1", "v1.1->v1.2"]);
        assert!(UpgradePlan::between("v1.2.0", "v1.2.3").is_err());
        assert!(UpgradePlan::between("v1.2.0", "v1.1").is_err());
    }
}
