//! Template `input-valid`: every input was readable and every document a Kubernetes
//! object. Problems found while loading become findings naming the file and line.

use super::{Check, CompileError, Ctx, Outcome, Read};
use crate::findings::{Evidence, Severity};

struct InputValid;

pub fn compile(_params: &serde_json::Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(InputValid))
}

impl Check for InputValid {
    fn reads(&self) -> Vec<Read> {
        Vec::new()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        if ctx.inv.problems.is_empty() {
            let docs: usize = ctx.inv.inputs.iter().map(|i| i.documents).sum();
            return vec![Outcome::pass(format!(
                "{} input(s), {docs} document(s) read without problems",
                ctx.inv.inputs.len()
            ))];
        }
        ctx.inv
            .problems
            .iter()
            .map(|p| {
                let mut o = Outcome::violation(p.message.clone());
                o.location = Some(p.location.clone());
                o.evidence = vec![Evidence {
                    status: None,
                    message: "the rest of the input was still checked".into(),
                    location: None,
                }]
                .into();
                if p.warning {
                    o.capped(Severity::Warning)
                } else {
                    o
                }
            })
            .collect()
    }
}
