//! Template `front-proxy-certs`: the front-proxy CA, client certificate and key that
//! karmada-apiserver reads are usable for API aggregation — analysed by
//! `crate::certs::analyze_front_proxy` (signed by the front-proxy CA, CN allowed by
//! `--requestheader-allowed-names`, clientAuth usage, validity, key match, and not the
//! same CA as `--client-ca-file`). Messages show CNs, dates and fingerprints only.

use serde::Deserialize;
use serde_json::Value;

use super::support::front_proxy::{self, front_proxy_files, CA, CLIENT_CERT, CLIENT_KEY};
use super::support::secret::{trace_file, KeyValue, TracedFile};
use super::{params, Check, CompileError, Ctx, Outcome, Read};
use crate::certs::{analyze_front_proxy, CertPart, CertProblem, FrontProxyInput, ProblemSeverity};
use crate::findings::{Evidence, FixStep, Remediation, Severity};
use crate::inventory::workload::ContainerRef;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    /// Warn when a certificate expires within this many days.
    #[serde(default = "thirty")]
    warn_within_days: i64,
}

fn thirty() -> i64 {
    30
}

struct FrontProxyCerts {
    p: Params,
}

pub fn compile(p: &Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(FrontProxyCerts {
        p: params::decode(p)?,
    }))
}

/// Which traced file a problem is about, for its location.
fn part_of(p: &CertProblem) -> CertPart {
    use CertProblem::*;
    match p {
        Placeholder { which } | NotPem { which, .. } => *which,
        KeyDoesNotMatchCert | KeyEncrypted | UnsupportedKey { .. } => CertPart::ClientKey,
        CaNotACa { .. }
        | CaExpired { .. }
        | CaNotYetValid { .. }
        | CaExpiresSoon { .. }
        | CaExcludesClientAuth { .. }
        | CaReusedAsClientCa { .. } => CertPart::FrontProxyCa,
        _ => CertPart::ClientCert,
    }
}

/// Why the file at `path` could not be read through its Secret, or None when it was.
fn untraced(path: &str, t: &TracedFile<'_>) -> Option<String> {
    Some(match (&t.source, t.secret, &t.value) {
        (_, _, KeyValue::Present(_)) => return None,
        (None, _, _) => format!("{path} is not mounted from a Secret"),
        (Some(s), None, _) => format!("Secret {} (for {path}) is not in the input", s.secret_name),
        (Some(s), Some(_), KeyValue::Placeholder) => format!(
            "{} holds an unrendered template placeholder ({{{{ ... }}}}); render the manifest to check it",
            s.key
        ),
        (Some(s), Some(_), KeyValue::Unreadable(m)) => format!("{}: {m}", s.key),
        (Some(s), Some(secret), _) => {
            format!("{} is missing or empty in Secret {}", s.key, secret.r)
        }
    })
}

impl FrontProxyCerts {
    fn check_container(&self, ctx: &Ctx<'_>, c: &ContainerRef<'_>) -> Outcome {
        let obj = c.object;
        let files = match front_proxy_files(c) {
            Ok(f) => f,
            Err(unknown) => return *unknown,
        };
        let traced: Vec<TracedFile<'_>> = files
            .iter()
            .map(|f| trace_file(ctx.inv, c, &f.path))
            .collect();
        let mut bytes: Vec<&[u8]> = Vec::new();
        for (f, t) in files.iter().zip(&traced) {
            let Some(why) = untraced(&f.path, t) else {
                if let KeyValue::Present(b) = &t.value {
                    bytes.push(b);
                }
                continue;
            };
            let o = Outcome::unknown(format!(
                "cannot analyse the front-proxy certificates of {}: {why}",
                obj.r
            ));
            return match t.secret {
                Some(s) => o.at(s, &t.pointer),
                None => o.at(obj, &f.flag_pointer),
            };
        }
        // `--client-ca-file` only feeds the CA-reuse check; when it cannot be read that
        // one check cannot run, the rest still does, and the finding carries an `unknown`
        // evidence saying which part was not checked and why.
        let client_ca_flag = c.flag("--client-ca-file").ok().flatten();
        let client_ca = client_ca_flag
            .as_ref()
            .and_then(|f| f.value.as_deref())
            .map(|p| trace_file(ctx.inv, c, p));
        let client_ca_pem = match client_ca.as_ref().map(|t| &t.value) {
            Some(KeyValue::Present(b)) => Some(b.as_slice()),
            _ => None,
        };
        let reuse_not_checked: Option<Evidence> =
            match (client_ca_flag.as_ref(), client_ca.as_ref()) {
                (Some(flag), Some(t)) => untraced(&t.path, t).map(|why| {
                    Evidence::unknown(
                        format!(
                            "not checked whether the front-proxy CA is also the --client-ca-file \
                             CA: {why}"
                        ),
                        Some(match t.secret {
                            Some(s) => s.locate(&t.pointer),
                            None => obj.locate(&flag.pointer),
                        }),
                    )
                }),
                _ => None,
            };
        let allowed: Vec<String> = c
            .flag("--requestheader-allowed-names")
            .ok()
            .flatten()
            .and_then(|f| f.value)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let report = analyze_front_proxy(&FrontProxyInput {
            ca_pem: bytes[0],
            client_cert_pem: bytes[1],
            client_key_pem: bytes[2],
            client_ca_pem,
            allowed_names: &allowed,
            now: ctx.now,
            warn_within_days: self.p.warn_within_days,
        });
        let locate = |part: CertPart| {
            let i = match part {
                CertPart::FrontProxyCa => 0,
                CertPart::ClientCert => 1,
                CertPart::ClientKey => 2,
                CertPart::ClientCa => {
                    return client_ca
                        .as_ref()
                        .and_then(|t| t.secret.map(|s| (s, t.pointer.clone())));
                }
            };
            traced[i].secret.map(|s| (s, traced[i].pointer.clone()))
        };
        let fp = |s: &Option<String>| {
            s.as_deref()
                .map(|f| f.chars().take(16).collect::<String>())
                .unwrap_or_default()
        };
        let identity = format!(
            "client CN {:?}, valid until {}, SHA-256 {}…; CA {:?}, SHA-256 {}…",
            report.client_subject_cn.as_deref().unwrap_or(""),
            report
                .client_not_after
                .map(|t| t.date().to_string())
                .unwrap_or_else(|| "?".into()),
            fp(&report.client_fingerprint_sha256),
            report.ca_subject.as_deref().unwrap_or(""),
            fp(&report.ca_fingerprint_sha256),
        );
        if report.is_clean() {
            let o = Outcome::pass(format!(
                "front-proxy certificates of {} are valid for aggregation: {identity}",
                obj.r
            ))
            .with_evidence(reuse_not_checked.into_iter().collect::<Vec<_>>());
            return match locate(CertPart::ClientCert) {
                Some((s, ptr)) => o.at(s, &ptr),
                None => o.at(obj, &files[1].flag_pointer),
            };
        }
        let worst =
            |sev: ProblemSeverity| report.problems.iter().filter(move |p| p.severity() == sev);
        let evidence: Vec<Evidence> = report
            .problems
            .iter()
            .map(|p| Evidence {
                status: None,
                message: p.message(),
                location: locate(part_of(p)).map(|(s, ptr)| s.locate(&ptr)),
            })
            .chain(reuse_not_checked)
            .collect();
        let (first, outcome) = if let Some(p) = worst(ProblemSeverity::Error).next() {
            (p, Outcome::violation(""))
        } else if let Some(p) = worst(ProblemSeverity::Unknown).next() {
            (p, Outcome::unknown(""))
        } else {
            let p = &report.problems[0];
            (p, Outcome::violation("").capped(Severity::Warning))
        };
        let msgs: Vec<String> = report.problems.iter().map(|p| p.message()).collect();
        let mut outcome = Outcome {
            message: format!("{} ({identity})", msgs.join("; ")),
            ..outcome
        }
        .with_evidence(evidence);
        if let Some((s, ptr)) = locate(part_of(first)) {
            outcome = outcome.at(s, &ptr);
        } else {
            outcome = outcome.at(obj, &files[0].flag_pointer);
        }
        if outcome.verdict == super::Verdict::Violation {
            let secret = traced[1]
                .secret
                .map(|s| s.r.to_string())
                .unwrap_or_default();
            outcome = outcome.with_remediation(Remediation {
                summary: format!(
                    "Issue a new front-proxy CA ({CA}) and client certificate ({CLIENT_CERT}, CN in \
                     --requestheader-allowed-names, clientAuth usage) with its key ({CLIENT_KEY}), \
                     replace them in {secret}, then restart karmada-apiserver. \
                     --generate-front-proxy-certs --fix-dir DIR writes a fresh pair and the patch."
                ),
                steps: vec![FixStep::GenerateFrontProxyPair],
                ..Default::default()
            });
        }
        outcome
    }
}

impl Check for FrontProxyCerts {
    fn reads(&self) -> Vec<Read> {
        front_proxy::reads()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        front_proxy::each_apiserver(ctx.inv, "front-proxy certificates", |c| {
            self.check_container(ctx, c)
        })
    }
}
