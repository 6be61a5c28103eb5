//! Template `release-notes`: what a release changes that no manifest or object can show
//! (metric labels renamed under a dashboard, karmadactl flags, defaults a user may rely
//! on). Each note is reported for its hop as an informational finding, with the
//! changelog line it comes from, so the report and PLAN.md carry it as a to-read item.

use serde::Deserialize;
use serde_json::Value;

use super::{params, Check, CompileError, Ctx, Outcome, Read};
use crate::findings::{Evidence, FixStep, Remediation};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    /// What changed and what to do about it.
    text: String,
    /// The changelog line it comes from (`CHANGELOG-1.18.md v1.18.0 Instrumentation: …`).
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The release notes the hop's pack was written from (shown by `rules -o json`).
    sources: Vec<String>,
    notes: Vec<Note>,
}

struct ReleaseNotes {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    if p.sources.is_empty() {
        return Err(CompileError {
            pointer: "/sources".into(),
            message: "name the release notes the pack was written from".into(),
        });
    }
    Ok(Box::new(ReleaseNotes { p }))
}

impl Check for ReleaseNotes {
    fn reads(&self) -> Vec<Read> {
        Vec::new()
    }

    fn run(&self, _ctx: &Ctx<'_>) -> Vec<Outcome> {
        self.p
            .notes
            .iter()
            .map(|n| {
                Outcome::violation(n.text.trim().to_string())
                    .with_evidence(vec![Evidence {
                        status: None,
                        message: format!("release note: {}", n.source.trim()),
                        location: None,
                    }])
                    .with_remediation(Remediation::from_steps(
                        format!(
                            "Before this hop, check the dashboards, alerts, scripts or policies the \
                             note names (release note: {}).",
                            n.source.trim()
                        ),
                        vec![FixStep::Note(n.text.trim().to_string())],
                    ))
            })
            .collect()
    }
}
