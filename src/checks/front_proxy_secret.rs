//! Template `front-proxy-secret`: the Secret behind karmada-apiserver's front-proxy flags
//! holds non-empty `front-proxy-ca.crt`, `front-proxy-client.crt` and
//! `front-proxy-client.key`. The Secret is found by following the flag paths through the
//! volume mounts — installers name it differently (`karmada-cert-secret`, `<release>-cert`,
//! `karmada-cert`). Values read here are never copied into messages or fixes.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::support::front_proxy::{self, front_proxy_files};
use super::support::patch::patch_fix;
use super::support::secret::{trace_file, KeyValue};
use super::{params, Check, CompileError, Ctx, Outcome, Read};
use crate::findings::{Evidence, FixStep, ManifestKind, Remediation};
use crate::inventory::workload::ContainerRef;
use crate::inventory::Object;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

struct FrontProxySecret;

pub fn compile(p: &Value) -> Result<Box<dyn Check>, CompileError> {
    let _: Params = params::decode(p)?;
    Ok(Box::new(FrontProxySecret))
}

fn remediation(missing: &BTreeMap<String, (&Object, Vec<String>)>) -> Remediation {
    let mut manifests = Vec::new();
    let mut commands = Vec::new();
    for (secret, keys) in missing.values() {
        let mut data = Map::new();
        for k in keys {
            // A placeholder to fill, never a value read from the input.
            data.insert(k.clone(), Value::String(format!("<base64 of {k}>")));
        }
        let (cmd, m) = patch_fix(
            &secret.r,
            ManifestKind::MergePatch,
            "front-proxy.merge-patch.json",
            json!({ "data": data }),
        );
        commands.push(cmd);
        manifests.push(m);
    }
    let names: Vec<String> = missing.values().map(|(s, _)| s.r.to_string()).collect();
    Remediation {
        summary: format!(
            "Add the front-proxy CA and client certificate to {}: fill each `<base64 of …>` with \
             `base64 -w0 <file>` of a front-proxy CA (separate from the cluster CA) and a client \
             certificate with CN front-proxy-client and clientAuth usage signed by it. Run with \
             --generate-front-proxy-certs --fix-dir DIR to have a fresh pair and a filled patch \
             written there (mode 0600).",
            names.join(", ")
        ),
        steps: commands
            .iter()
            .cloned()
            .map(FixStep::Run)
            .chain([FixStep::GenerateFrontProxyPair])
            .collect(),
        commands,
        manifests,
        diff: None,
    }
}

impl FrontProxySecret {
    fn check_container(&self, ctx: &Ctx<'_>, c: &ContainerRef<'_>) -> Outcome {
        let obj = c.object;
        let files = match front_proxy_files(c) {
            Ok(f) => f,
            Err(unknown) => return *unknown,
        };
        let mut missing: BTreeMap<String, (&Object, Vec<String>)> = BTreeMap::new();
        let mut evidence = Vec::new();
        let mut first_violation: Option<(&Object, String)> = None;
        let mut unknown: Option<Outcome> = None;
        let mut present: Option<(&Object, String)> = None;
        for f in &files {
            let t = trace_file(ctx.inv, c, &f.path);
            let Some(src) = &t.source else {
                unknown.get_or_insert_with(|| {
                    Outcome::unknown(format!(
                        "{} ({}) is not mounted from a Secret in {}; it cannot be checked from manifests",
                        f.path, f.flag, obj.r
                    ))
                    .at(obj, &f.flag_pointer)
                });
                continue;
            };
            let Some(secret) = t.secret else {
                unknown.get_or_insert_with(|| {
                    Outcome::unknown(format!(
                        "{} comes from Secret {}/{} (key {}), which is not in the input",
                        f.path,
                        obj.namespace().unwrap_or("default"),
                        src.secret_name,
                        src.key
                    ))
                    .at(obj, &src.volume_pointer)
                });
                continue;
            };
            match t.value {
                KeyValue::Present(_) => {
                    present.get_or_insert((secret, t.pointer.clone()));
                }
                KeyValue::Missing | KeyValue::Empty => {
                    let what = if matches!(t.value, KeyValue::Missing) {
                        "has no key"
                    } else {
                        "has an empty"
                    };
                    evidence.push(Evidence {
                        status: None,
                        message: format!(
                            "Secret {} {what} {} (read by {} as {})",
                            secret.r, src.key, f.flag, f.path
                        ),
                        location: Some(secret.locate(&t.pointer)),
                    });
                    first_violation.get_or_insert((secret, t.pointer.clone()));
                    missing
                        .entry(secret.r.to_string())
                        .or_insert_with(|| (secret, Vec::new()))
                        .1
                        .push(src.key.clone());
                }
                KeyValue::Placeholder => {
                    unknown.get_or_insert_with(|| {
                        Outcome::unknown(format!(
                            "Secret {} key {} holds an unrendered template placeholder ({{{{ ... }}}}); render the manifest to check it",
                            secret.r, src.key
                        ))
                        .at(secret, &t.pointer)
                    });
                }
                KeyValue::Unreadable(why) => {
                    unknown.get_or_insert_with(|| {
                        Outcome::unknown(format!("Secret {} key {}: {why}", secret.r, src.key))
                            .at(secret, &t.pointer)
                    });
                }
            }
        }
        if let Some((secret, ptr)) = first_violation {
            let keys: Vec<String> = missing.values().flat_map(|(_, k)| k.clone()).collect();
            return Outcome::violation(format!(
                "Secret {} lacks non-empty {}, which karmada-apiserver {} reads for API aggregation",
                secret.r,
                keys.join(", "),
                obj.r
            ))
            .at(secret, &ptr)
            .with_evidence(evidence)
            .with_remediation(remediation(&missing));
        }
        if let Some(u) = unknown {
            return u;
        }
        match present {
            Some((secret, ptr)) => Outcome::pass(format!(
                "Secret {} holds {} for {}",
                secret.r,
                files
                    .iter()
                    .map(|f| f.target)
                    .collect::<Vec<_>>()
                    .join(", "),
                obj.r
            ))
            .at(secret, &ptr),
            None => Outcome::unknown("no front-proxy file could be traced").at(obj, "/spec"),
        }
    }
}

impl Check for FrontProxySecret {
    fn reads(&self) -> Vec<Read> {
        front_proxy::reads()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        front_proxy::each_apiserver(ctx.inv, "front-proxy Secret", |c| {
            self.check_container(ctx, c)
        })
    }
}
