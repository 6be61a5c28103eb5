//! Template `upgrade-path`: the run's upgrade path goes one minor at a time. Karmada's
//! upgrade guide: "Cross-version upgrades are not recommended"; upgrade minor by minor,
//! each to the latest patch of that minor, running each hop's checks before and after it.

use serde_json::Value;

use super::{Check, CompileError, Ctx, Outcome, Read};
use crate::upgrade::path::hop_label;

struct UpgradePath;

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    if !params.is_null() && params.as_object().is_none_or(|m| !m.is_empty()) {
        return Err(CompileError {
            pointer: String::new(),
            message: "upgrade-path takes no params".into(),
        });
    }
    Ok(Box::new(UpgradePath))
}

impl Check for UpgradePath {
    fn reads(&self) -> Vec<Read> {
        Vec::new()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let plan = ctx.plan;
        if !plan.explicit {
            return vec![Outcome::skip("no --to given: no upgrade path to judge")];
        }
        let from = plan.from.as_deref().unwrap_or("?");
        let to = plan.to.as_deref().unwrap_or("?");
        let hops: Vec<String> = plan.hops.iter().map(hop_label).collect();
        if hops.len() <= 1 {
            return vec![Outcome::pass(format!(
                "{from} -> {to} is a single minor upgrade ({})",
                hops.join("")
            ))];
        }
        vec![Outcome::violation(format!(
            "{from} -> {to} skips minor versions; upgrade one minor at a time, each to the latest \
             patch of that minor, running the checks of each hop before and after it: {}",
            hops.join(", ")
        ))]
    }
}
