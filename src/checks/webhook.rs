//! Template `webhook`: a (Validating|Mutating)WebhookConfiguration in karmada-apiserver
//! holds the webhooks a release needs (`present`) and none it dropped (`absent`). A stale
//! webhook is not harmless: the API server keeps calling it, and calls to a path the new
//! karmada-webhook no longer serves fail (v1.1: joining clusters fails on
//! `cluster.karmada.io`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::naming::fix_file;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Manifest, ManifestKind, Remediation};
use crate::inventory::{Object, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    kind: String,
    /// The configuration object's name (`validating-config`, `mutating-config`).
    name: String,
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

struct Webhook {
    p: Params,
    kind: &'static str,
}

const KINDS: &[&str] = &[
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let kind = KINDS
        .iter()
        .copied()
        .find(|k| *k == p.kind)
        .ok_or_else(|| CompileError {
            pointer: "/kind".into(),
            message: format!("kind must be one of {}", KINDS.join(", ")),
        })?;
    if p.present.is_empty() && p.absent.is_empty() {
        return Err(CompileError {
            pointer: String::new(),
            message: "give `present` and/or `absent` webhook names".into(),
        });
    }
    Ok(Box::new(Webhook { p, kind }))
}

fn webhook_names(o: &Object) -> Vec<(usize, String)> {
    o.at("/webhooks")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter_map(|(i, w)| Some((i, w.get("name")?.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

impl Webhook {
    fn check(&self, o: &Object) -> Outcome {
        let names = webhook_names(o);
        let stale: Vec<&(usize, String)> = names
            .iter()
            .filter(|(_, n)| self.p.absent.contains(n))
            .collect();
        let missing: Vec<&String> = self
            .p
            .present
            .iter()
            .filter(|want| !names.iter().any(|(_, n)| n == *want))
            .collect();
        if stale.is_empty() && missing.is_empty() {
            return Outcome::pass(format!("{} has the expected webhooks", o.r)).at(o, "/webhooks");
        }
        let mut parts = Vec::new();
        let mut evidence = Vec::new();
        for (i, n) in &stale {
            let ptr = format!("/webhooks/{i}/name");
            parts.push(format!("{n} must be removed"));
            evidence.push(Evidence {
                status: None,
                message: format!("webhook {n} is still configured"),
                location: Some(o.locate(&ptr)),
            });
        }
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            parts.push(format!("missing {list}"));
            evidence.push(Evidence {
                status: None,
                message: format!("webhooks missing: {list}"),
                location: Some(o.locate("/webhooks")),
            });
        }
        let at = stale
            .first()
            .map(|(i, _)| format!("/webhooks/{i}/name"))
            .unwrap_or_else(|| "/webhooks".into());
        let mut out = Outcome::violation(format!("{}: {}", o.r, parts.join("; ")))
            .at(o, &at)
            .with_evidence(evidence);
        if !stale.is_empty() {
            out = out.with_remediation(self.remove_patch(o, &stale, &missing));
        } else {
            out = out.with_remediation(Remediation {
                summary: format!(
                    "Apply the target release's webhook configuration so {} contains {}.",
                    o.r,
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                ..Default::default()
            });
        }
        out
    }

    fn remove_patch(
        &self,
        o: &Object,
        stale: &[&(usize, String)],
        missing: &[&String],
    ) -> Remediation {
        let mut ops = Vec::new();
        let mut diff = String::new();
        // Highest index first so the earlier indexes stay valid; `test` the name first so
        // the patch cannot remove a different webhook if the list changed meanwhile.
        for (i, n) in stale.iter().rev() {
            ops.push(json!({"op": "test", "path": format!("/webhooks/{i}/name"), "value": n}));
            ops.push(json!({"op": "remove", "path": format!("/webhooks/{i}")}));
            diff.push_str(&format!(
                "{}\n-  - name: {n}\n",
                o.locate(&format!("/webhooks/{i}"))
            ));
        }
        let file = fix_file(&o.r, "patch.json");
        let mut summary = format!(
            "Remove {} from {} (the patch tests each webhook's name first).",
            stale
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            o.r
        );
        if !missing.is_empty() {
            summary.push_str(
                " Then apply the target release's webhook configuration for the missing ones.",
            );
        }
        Remediation {
            summary,
            commands: vec![format!(
                "kubectl --context karmada-apiserver patch {} {} --type=json --patch-file {file}",
                self.kind.to_lowercase(),
                o.name()
            )],
            manifests: vec![Manifest {
                file_name: file,
                kind: ManifestKind::JsonPatch,
                apply_to: "karmada".into(),
                target: Some(o.r.clone()),
                content: Value::Array(ops),
            }],
            steps: Vec::new(),
            diff: Some(diff),
        }
    }
}

impl Check for Webhook {
    fn reads(&self) -> Vec<Read> {
        vec![read(self.kind, ReadScope::Karmada)]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let sel = ScopeSel::Karmada;
        match ctx.inv.get(self.kind, &sel, None, &self.p.name) {
            Some(o) => vec![self.check(o)],
            None => vec![Outcome::unknown(format!(
                "no {} {} in the input (it lives in karmada-apiserver)",
                self.kind, self.p.name
            ))],
        }
    }
}
