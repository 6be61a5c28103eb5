//! Template `hop-coverage`: every hop of the run's upgrade path has a rule pack. A hop
//! nothing was written for was not checked at all, and reporting it as a pass (or not
//! at all) would be a false all-clear on exactly the upgrades the rules do not know.

use serde_json::Value;

use super::{Check, CompileError, Ctx, Outcome, Read};
use crate::upgrade::path::hop_label;

struct HopCoverage;

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    if !params.is_null() && params.as_object().is_none_or(|m| !m.is_empty()) {
        return Err(CompileError {
            pointer: String::new(),
            message: "hop-coverage takes no params".into(),
        });
    }
    Ok(Box::new(HopCoverage))
}

impl Check for HopCoverage {
    fn reads(&self) -> Vec<Read> {
        Vec::new()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        if let Some(v) = &ctx.plan.beyond {
            let (a, b) = crate::upgrade::path::newest_known();
            return vec![Outcome::unknown(format!(
                "the installation runs Karmada {v}, newer than v{a}.{b}, the newest release these rules \
                 know: nothing about it was checked (known releases: {})",
                crate::upgrade::path::known_releases_list()
            ))];
        }
        if let Some(why) = &ctx.plan.unchosen {
            return vec![Outcome::unknown(why.clone())];
        }
        ctx.plan
            .hops
            .iter()
            .map(|h| {
                let label = hop_label(h);
                match ctx.plan.rules_per_hop.get(&label).copied().unwrap_or(0) {
                    0 => Outcome::unknown(format!(
                        "no rule pack for the hop {label}: nothing about upgrading {h} was checked; \
                         read that release's upgrade notes yourself"
                    )),
                    n => Outcome::pass(format!("{label}: {n} rule(s) of its pack ran")),
                }
            })
            .collect()
    }
}
