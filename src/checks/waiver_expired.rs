//! Template `waiver-expired`: the waivers are not part of the inventory, so the real
//! outcome comes from `engine::suppress::apply`, which replaces this placeholder after
//! the rules ran. Running the rule through the catalog keeps it listed by `rules` and
//! `explain`, and subject to `--rule`, like every other rule.

use super::{Check, CompileError, Ctx, Outcome, Read};

struct WaiverExpired;

pub fn compile(_params: &serde_json::Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(WaiverExpired))
}

impl Check for WaiverExpired {
    fn reads(&self) -> Vec<Read> {
        Vec::new()
    }

    fn run(&self, _ctx: &Ctx<'_>) -> Vec<Outcome> {
        vec![Outcome::skip("waivers are evaluated after the rules")]
    }
}
