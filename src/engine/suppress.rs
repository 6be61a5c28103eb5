//! Suppressions: the team has looked at a finding and accepted it, for a reason.
//!
//! Two sources, applied by the check command after the rules ran:
//! - an annotation on the object, `preflight.karmada.io/ignore: "<rule>[,<rule>] reason"`
//!   (rule names or ids), silences exactly those rules on exactly that object;
//! - a waiver file (`--waivers FILE`, or `.karmada-preflight.yaml` found in the current
//!   directory or the first input directory) with entries
//!   `{rule, object: {scope?, kind?, namespace?, name?}, reason, expires?: YYYY-MM-DD}`.
//!
//! A suppressed finding keeps its message and location, gets status `suppressed` and
//! `suppressedBy` (reason and source), and no longer gates the exit code. Only findings
//! that would need attention (fail, blocker, action, unknown) are suppressed; a pass stays
//! a pass. A waiver past its expiry date suppresses nothing and is itself a failure of the
//! core rule `waiver-expired` (KP0002) naming the waiver's file and line, so accepted risk
//! cannot outlive the date the team agreed to look at it again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::findings::{Finding, Severity, Status};
use crate::inventory::{InputProblem, Inventory, Location, Object, ObjectRef};
use crate::rules::Catalog;
use crate::sources::yaml::parse_documents;
use crate::sources::Limits;
use crate::text::Pos;

pub const IGNORE_ANNOTATION: &str = "preflight.karmada.io/ignore";
/// Name looked for when `--waivers` is not given.
pub const WAIVER_FILE_NAME: &str = ".karmada-preflight.yaml";
/// The core rule reporting expired waivers.
pub const WAIVER_RULE: &str = "waiver-expired";

/// Which objects a waiver covers; an absent field matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectSel {
    pub scope: Option<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl ObjectSel {
    fn is_empty(&self) -> bool {
        *self == ObjectSel::default()
    }

    fn matches(&self, o: Option<&ObjectRef>) -> bool {
        let Some(o) = o else { return self.is_empty() };
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        eq(&self.scope, Some(&o.scope().to_string()))
            && eq(&self.kind, Some(o.kind()))
            && eq(&self.namespace, o.namespace())
            && eq(&self.name, Some(&o.name))
    }

    fn describe(&self) -> String {
        if self.is_empty() {
            return "every object".into();
        }
        let parts: Vec<String> = [
            ("scope", &self.scope),
            ("kind", &self.kind),
            ("namespace", &self.namespace),
            ("name", &self.name),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        parts.join(",")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// Rule name or id, as written.
    pub rule: String,
    pub object: ObjectSel,
    pub reason: String,
    pub expires: Option<time::Date>,
    pub file: String,
    pub line: u32,
}

impl Waiver {
    pub fn source(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The waiver file to use: the one given, else `.karmada-preflight.yaml` in the current
/// directory, else in the first input that is a directory.
pub fn find_waiver_file(explicit: Option<&Path>, inputs: &[String]) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let here = PathBuf::from(WAIVER_FILE_NAME);
    if here.is_file() {
        return Some(here);
    }
    let first_dir = inputs.iter().map(PathBuf::from).find(|p| p.is_dir())?;
    let there = first_dir.join(WAIVER_FILE_NAME);
    there.is_file().then_some(there)
}

fn parse_date(s: &str) -> Option<time::Date> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

/// Read a waiver file. Errors name the file and line; a waiver file that cannot be read
/// is an error of the run (exit 2), not something to skip, since skipping it would turn
/// accepted findings into failures or, worse, hide that the file is broken.
pub fn load_waivers(
    path: &Path,
    catalog: &Catalog,
    limits: &Limits,
) -> Result<Vec<Waiver>, String> {
    let file = path.display().to_string();
    let text = crate::sources::bounded::read_text(path, limits.max_file_bytes)
        .map_err(|e| format!("{file}: cannot use the waiver file: {e}"))?;
    let mut docs = Vec::new();
    let out = parse_documents(&text, limits, |d| docs.push(d));
    if let Some(p) = out.problems.iter().find(|p| !p.warning) {
        return Err(format!("{file}:{}: {}", p.pos.line, p.message));
    }
    let mut waivers = Vec::new();
    for doc in &docs {
        let value = doc.value();
        let (list, base) = match &value {
            Value::Array(a) => (a, String::new()),
            Value::Object(m) => match m.get("waivers") {
                Some(Value::Array(a)) => (a, "/waivers".to_string()),
                Some(Value::Null) | None if m.keys().all(|k| k == "waivers") => continue,
                _ => {
                    return Err(format!(
                        "{file}:{}: expected `waivers:` with a list of {{rule, object, reason, expires}}",
                        doc.start.line
                    ))
                }
            },
            Value::Null => continue,
            _ => return Err(format!("{file}:{}: expected a list of waivers", doc.start.line)),
        };
        for (i, entry) in list.iter().enumerate() {
            let ptr = format!("{base}/{i}");
            let pos = doc.resolve(&ptr).unwrap_or(doc.start);
            let at = |field: &str| doc.resolve(&format!("{ptr}/{field}")).unwrap_or(pos);
            let err = |p: Pos, m: String| format!("{file}:{}: {m}", p.line);
            let Some(m) = entry.as_object() else {
                return Err(err(pos, "a waiver must be a map".into()));
            };
            for k in m.keys() {
                if !matches!(k.as_str(), "rule" | "object" | "reason" | "expires") {
                    return Err(err(
                        at(k),
                        format!("unknown waiver field {k:?} (rule, object, reason, expires)"),
                    ));
                }
            }
            let rule = m
                .get("rule")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_string();
            if rule.is_empty() {
                return Err(err(pos, "waiver has no `rule`".into()));
            }
            if catalog.find(&rule).is_none() {
                return Err(err(
                    at("rule"),
                    format!("waiver names unknown rule {rule:?}"),
                ));
            }
            let reason = m
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_string();
            if reason.is_empty() {
                return Err(err(
                    pos,
                    format!("waiver for {rule} has no `reason`; say why it is accepted"),
                ));
            }
            let mut object = ObjectSel::default();
            match m.get("object") {
                None | Some(Value::Null) => {}
                Some(Value::Object(o)) => {
                    for (k, v) in o {
                        let v = match v {
                            Value::String(s) => Some(s.clone()),
                            _ => {
                                return Err(err(
                                    at(&format!("object/{k}")),
                                    format!("object.{k} must be a string"),
                                ))
                            }
                        };
                        match k.as_str() {
                            "scope" => object.scope = v,
                            "kind" => object.kind = v,
                            "namespace" => object.namespace = v,
                            "name" => object.name = v,
                            _ => {
                                return Err(err(
                                    at(&format!("object/{k}")),
                                    format!(
                                        "unknown object field {k:?} (scope, kind, namespace, name)"
                                    ),
                                ))
                            }
                        }
                    }
                }
                Some(_) => return Err(err(at("object"), "object must be a map".into())),
            }
            let expires = match m.get("expires") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(parse_date(s).ok_or_else(|| {
                    err(
                        at("expires"),
                        format!("expires {s:?} is not a YYYY-MM-DD date"),
                    )
                })?),
                Some(v) => {
                    return Err(err(
                        at("expires"),
                        format!("expires {v} is not a YYYY-MM-DD date"),
                    ))
                }
            };
            waivers.push(Waiver {
                rule,
                object,
                reason,
                expires,
                file: file.clone(),
                line: pos.line,
            });
        }
    }
    Ok(waivers)
}

/// `<rule>[,<rule>] reason` -> (rules, reason).
fn parse_annotation(v: &str) -> (Vec<&str>, &str) {
    let v = v.trim();
    let (rules, reason) = v.split_once(char::is_whitespace).unwrap_or((v, ""));
    (
        rules
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect(),
        reason.trim(),
    )
}

/// Ignore annotations are checked like waivers: a rule name or id the catalog does not
/// know (a typo such as `KP1O01` silences nothing) or a missing reason is a problem of the
/// input at the annotation's line, reported by `input-valid`. An annotation without a
/// reason suppresses nothing.
pub fn annotation_problems(inv: &Inventory, catalog: &Catalog) -> Vec<InputProblem> {
    let mut out = Vec::new();
    for o in inv.all() {
        let Some(value) = o.annotation(IGNORE_ANNOTATION) else {
            continue;
        };
        let location = o.locate(&format!(
            "/metadata/annotations/{}",
            IGNORE_ANNOTATION.replace('~', "~0").replace('/', "~1")
        ));
        let (rules, reason) = parse_annotation(value);
        let unknown: Vec<&str> = rules
            .iter()
            .copied()
            .filter(|r| catalog.find(r).is_none())
            .collect();
        if rules.is_empty() || !unknown.is_empty() {
            out.push(InputProblem {
                location: location.clone(),
                message: if rules.is_empty() {
                    format!("annotation {IGNORE_ANNOTATION} on {} names no rule", o.r)
                } else {
                    format!(
                        "annotation {IGNORE_ANNOTATION} on {} names unknown rule(s) {} \
                         (see `karmada-preflight rules`); it suppresses nothing for them",
                        o.r,
                        unknown.join(", ")
                    )
                },
                warning: false,
            });
        }
        if reason.is_empty() {
            out.push(InputProblem {
                location,
                message: format!(
                    "annotation {IGNORE_ANNOTATION} on {} has no reason; write \
                     \"<rule>[,<rule>] <why it is accepted>\" (it suppresses nothing until then)",
                    o.r
                ),
                warning: false,
            });
        }
    }
    out
}

fn names_rule(token: &str, f: &Finding) -> bool {
    f.rule.name() == token || token.eq_ignore_ascii_case(f.rule.id())
}

fn needs_attention(s: Status) -> bool {
    matches!(
        s,
        Status::Fail | Status::Blocker | Status::Action | Status::Unknown
    )
}

fn annotation_suppression(f: &Finding, obj: &Object) -> Option<String> {
    let value = obj.annotation(IGNORE_ANNOTATION)?;
    let (rules, reason) = parse_annotation(value);
    if !rules.iter().any(|r| names_rule(r, f)) {
        return None;
    }
    if reason.is_empty() {
        // Reported by `annotation_problems`; accepted risk needs a stated reason.
        return None;
    }
    let loc = obj.locate(&format!(
        "/metadata/annotations/{}",
        IGNORE_ANNOTATION.replace('~', "~0").replace('/', "~1")
    ));
    Some(format!(
        "annotation {IGNORE_ANNOTATION} on {} ({loc}): {reason}",
        obj.r
    ))
}

/// Apply annotations and waivers to the findings, and turn the `waiver-expired`
/// placeholder into its real outcome. `today` decides expiry (a waiver is valid through
/// its `expires` date).
pub fn apply(
    findings: Vec<Finding>,
    inv: &Inventory,
    waivers: &[Waiver],
    catalog: &Catalog,
    today: time::Date,
) -> Vec<Finding> {
    let annotated: HashMap<&ObjectRef, &Object> = inv
        .all()
        .filter(|o| o.annotation(IGNORE_ANNOTATION).is_some())
        .map(|o| (&o.r, o))
        .collect();
    let (expired, active): (Vec<&Waiver>, Vec<&Waiver>) = waivers
        .iter()
        .partition(|w| w.expires.is_some_and(|d| d < today));

    // In place: a fleet's findings are many (40k for the 100k-object benchmark corpus),
    // and a second list of them was 21 MB of that run's peak. The waiver rule's placeholder (the last,
    // if the rule ran more than once) is taken out; everything else keeps its order.
    let mut out = findings;
    let mut placeholder: Option<Finding> = None;
    while let Some(i) = out.iter().position(|f| f.rule.name() == WAIVER_RULE) {
        placeholder = Some(out.remove(i));
    }
    for f in out.iter_mut() {
        if needs_attention(f.status) {
            let by_annotation = f
                .object
                .as_ref()
                .and_then(|r| annotated.get(r))
                .and_then(|o| annotation_suppression(f, o));
            let by_waiver = || {
                active
                    .iter()
                    .find(|w| names_rule(&w.rule, f) && w.object.matches(f.object.as_ref()))
                    .map(|w| {
                        let until = w
                            .expires
                            .map(|d| format!(" (until {d})"))
                            .unwrap_or_default();
                        format!("waiver {}: {}{until}", w.source(), w.reason)
                    })
            };
            if let Some(by) = by_annotation.or_else(by_waiver) {
                f.status = Status::Suppressed;
                f.suppressed_by = Some(by.into());
            }
        }
    }

    let Some(rule) = catalog.find(WAIVER_RULE) else {
        return out;
    };
    let names = crate::rules::FindingNames::of(rule);
    let base = |status: Status, severity: Option<Severity>, message: String| Finding {
        rule: names.rule.clone(),
        status,
        severity,
        message,
        object: None,
        location: None,
        evidence: Default::default(),
        remediation: None,
        hop: names.hop.clone(),
        suppressed_by: None,
        fingerprint: Default::default(),
    };
    // Expired waivers fail even when `--rule` left this rule out: a forgotten waiver is
    // exactly what must not go quiet.
    for w in &expired {
        let mut f = base(
            Status::Fail,
            Some(Severity::Error),
            format!(
                "waiver {} for rule {} on {} expired on {} (reason was: {}); it no longer suppresses anything: \
                 fix the findings or renew the waiver with a new date",
                w.source(),
                w.rule,
                w.object.describe(),
                w.expires.map(|d| d.to_string()).unwrap_or_default(),
                w.reason
            ),
        );
        f.location = Some(Location::file(
            &w.file,
            Pos {
                line: w.line,
                column: 1,
            },
            "",
        ));
        f.fingerprint = Finding::compute_fingerprint(
            WAIVER_RULE,
            None,
            Some(&format!("{}|{}|{}", w.file, w.rule, w.object.describe())),
        );
        out.push(f);
    }
    if expired.is_empty() {
        if let Some(mut p) = placeholder {
            if !waivers.is_empty() {
                p.status = Status::Pass;
                p.message = format!("{} waiver(s) in force, none expired", waivers.len());
            } else {
                p.message = "no waiver file".into();
            }
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_syntax() {
        assert_eq!(
            parse_annotation("a,KP1002  because we said so "),
            (vec!["a", "KP1002"], "because we said so")
        );
        assert_eq!(parse_annotation("a"), (vec!["a"], ""));
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2026-02-28").map(|d| d.to_string()),
            Some("2026-02-28".into())
        );
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("soon"), None);
    }
}
