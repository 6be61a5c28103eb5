//! Template `component-versions`: every Karmada component runs the same minor release.
//! Components on different minors are an upgrade half done (or an image pinned by hand
//! and forgotten): each binary expects the API and behaviour of its own release, so
//! nothing else about the installation can be judged for one version. Read through the
//! component model, so workloads, Helm renders, Karmada CRs and init configs all count.

use serde_json::Value;

use super::support::components::workload_reads;
use super::{Check, CompileError, Ctx, Outcome, Read};
use crate::findings::Evidence;
use crate::inventory::workload::Component;

struct ComponentVersions;

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    if !params.is_null() && params.as_object().is_none_or(|m| !m.is_empty()) {
        return Err(CompileError {
            pointer: String::new(),
            message: "component-versions takes no params".into(),
        });
    }
    Ok(Box::new(ComponentVersions))
}

impl Check for ComponentVersions {
    fn reads(&self) -> Vec<Read> {
        let mut out = workload_reads(Component::ControllerManager);
        out.extend(workload_reads(Component::KarmadaAgent));
        out
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let inv = ctx.inv;
        let tagged = inv.components().versioned(inv);
        let Some((first_v, first)) = tagged.first() else {
            return vec![Outcome::skip(
                "no Karmada component image states a version (tags are `latest`, digests or absent)",
            )];
        };
        let minor = |v: &crate::k8s::KarmadaVersion| (v.major(), v.minor());
        let newest = tagged
            .iter()
            .map(|(v, _)| minor(v))
            .max()
            .unwrap_or(minor(first_v));
        let mut seen: Vec<String> = Vec::new();
        for (v, c) in &tagged {
            let s = format!("{} {v}", c.component.display());
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        let Some((lag_v, lag)) = tagged.iter().find(|(v, _)| minor(v) != newest) else {
            let o = first.object(inv);
            return vec![Outcome::pass(format!(
                "every Karmada component runs v{}.{}: {}",
                newest.0,
                newest.1,
                seen.join(", ")
            ))
            .at(
                o,
                &first
                    .image
                    .as_ref()
                    .map(|i| i.pointer.clone())
                    .unwrap_or_default(),
            )];
        };
        let evidence: Vec<_> = tagged
            .iter()
            .filter_map(|(v, c)| {
                let o = c.object(inv);
                let img = c.image.as_ref()?;
                Some(Evidence {
                    status: None,
                    message: format!(
                        "{} in {} runs {v} ({})",
                        c.component.display(),
                        o.r,
                        img.image
                    ),
                    location: Some(o.locate(&img.pointer)),
                })
            })
            .collect();
        let o = lag.object(inv);
        let ptr = lag
            .image
            .as_ref()
            .map(|i| i.pointer.clone())
            .unwrap_or_default();
        vec![Outcome::violation(format!(
            "Karmada components run different minors, an upgrade half done: {}; {} in {} is behind \
             at {lag_v}",
            seen.join(", "),
            lag.component.display(),
            o.r
        ))
        .at(o, &ptr)
        .with_evidence(evidence)]
    }
}
