//! The finding: rule, status, evidence and remediation.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::remediation::Remediation;
use crate::inventory::{Location, ObjectRef};
pub use crate::text::Name;

/// The end state of a rule for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Checked and fine (before the upgrade: this step is ready or already done).
    Pass,
    /// Checked and wrong; see the severity.
    Fail,
    /// Before the upgrade: a step of the upgrade still to do.
    Action,
    /// Before the upgrade: must be fixed before starting.
    Blocker,
    /// Not applicable here (e.g. no MCS in use, or a post-only rule in the pre phase).
    Skip,
    /// Could not be evaluated (missing input, forbidden, placeholder); never a pass.
    Unknown,
    /// Would have been reported, but an ignore annotation or waiver covers it.
    Suppressed,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Blocker,
        Status::Fail,
        Status::Action,
        Status::Unknown,
        Status::Pass,
        Status::Skip,
        Status::Suppressed,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Action => "action",
            Status::Blocker => "blocker",
            Status::Skip => "skip",
            Status::Unknown => "unknown",
            Status::Suppressed => "suppressed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A supporting fact with its own location (e.g. each wrong flag of a container).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// `unknown` for a part of the rule that could not run (e.g. a certificate that could
    /// not be traced): the finding says what it did not check instead of passing over it.
    /// None: a fact supporting the finding's own status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Evidence {
    /// A part of the rule that could not run, and why.
    pub fn unknown(message: String, location: Option<Location>) -> Evidence {
        Evidence {
            status: Some(Status::Unknown),
            message,
            location,
        }
    }
}

/// A finding's evidence, shared rather than copied: a fleet-wide rule gives each of its
/// thousands of findings the same few items (the MCS CRDs in use on every Cluster's
/// finding), which were a copy of about 650 bytes per finding. Reads like a slice;
/// [`EvidenceList::edit`] copies only when an item needs a change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvidenceList(Option<Arc<[Evidence]>>);

impl EvidenceList {
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Run `change` on every item for which `needs` holds. A list shared with other
    /// findings is copied first, and only when some item needs the change: `needs` is
    /// asked without touching anything, so an unchanged list stays shared.
    pub fn edit(
        &mut self,
        needs: impl Fn(&Evidence) -> bool,
        mut change: impl FnMut(&mut Evidence),
    ) {
        let Some(items) = &mut self.0 else {
            return;
        };
        if !items.iter().any(&needs) {
            return;
        }
        let mut apply = |list: &mut [Evidence]| {
            list.iter_mut().filter(|e| needs(e)).for_each(&mut change);
        };
        match Arc::get_mut(items) {
            Some(own) => apply(own),
            None => {
                let mut copy = items.to_vec();
                apply(&mut copy);
                *items = copy.into();
            }
        }
    }
}

impl std::ops::Deref for EvidenceList {
    type Target = [Evidence];
    fn deref(&self) -> &[Evidence] {
        self.0.as_deref().unwrap_or(&[])
    }
}

impl From<Vec<Evidence>> for EvidenceList {
    fn from(v: Vec<Evidence>) -> EvidenceList {
        // No allocation for the usual finding without evidence.
        EvidenceList((!v.is_empty()).then(|| v.into()))
    }
}

impl FromIterator<Evidence> for EvidenceList {
    fn from_iter<I: IntoIterator<Item = Evidence>>(iter: I) -> EvidenceList {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

impl<'a> IntoIterator for &'a EvidenceList {
    type Item = &'a Evidence;
    type IntoIter = std::slice::Iter<'a, Evidence>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for EvidenceList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for EvidenceList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EvidenceList, D::Error> {
        Vec::<Evidence>::deserialize(d).map(EvidenceList::from)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule's name, id and pack, written as the report's first three fields.
    #[serde(flatten)]
    pub rule: RuleRef,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "EvidenceList::is_empty")]
    pub evidence: EvidenceList,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Arc<Remediation>>,
    /// Upgrade hop this finding belongs to, e.g. `v0.10->v1.0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<Name>,
    /// Why it was suppressed, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<Name>,
    /// Stable across runs: rule + object + pointer, not line numbers or messages.
    pub fingerprint: Fingerprint,
}

/// The rule a finding comes from: its stable name (`cluster-crd-removed`), id (`KP1001`)
/// and pack. Made once per rule and shared by all its findings: a fleet rule gives 200k
/// of them at 1M objects, and the three names were 48 bytes in each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef(Arc<RuleNames>);

/// What a report says of a finding's rule, in the order it says it.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct RuleNames {
    rule: Name,
    #[serde(default)]
    id: Name,
    #[serde(default)]
    pack: Name,
}

impl RuleRef {
    pub fn new(name: &str, id: &str, pack: &str) -> RuleRef {
        RuleRef(Arc::new(RuleNames {
            rule: Name::from(name),
            id: Name::from(id),
            pack: Name::from(pack),
        }))
    }
    /// The rule's stable name, e.g. `cluster-crd-removed`.
    pub fn name(&self) -> &str {
        &self.0.rule
    }
    /// The rule's stable id, e.g. `KP1001`; empty in a report that did not say it.
    pub fn id(&self) -> &str {
        &self.0.id
    }
    pub fn pack(&self) -> &str {
        &self.0.pack
    }
}

impl Serialize for RuleRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RuleRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RuleRef, D::Error> {
        RuleNames::deserialize(d).map(|n| RuleRef(Arc::new(n)))
    }
}

/// A finding's identity across runs: the first 12 bytes of a SHA-256 over rule, object
/// and pointer, written as 24 lowercase hex digits. Held as bytes, not as its text: a
/// fleet rule keeps 400k findings to the report (1M objects), and the text was a heap
/// string of its own in each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint([u8; 12]);

impl Fingerprint {
    /// The 24 hex digits, as reports write them.
    pub fn hex(&self) -> String {
        self.to_string()
    }

    /// A fingerprint as reports write it; None for anything else (e.g. a hand-edited
    /// report), which `compare` refuses rather than matching on.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let digits = text.as_bytes();
        if digits.len() != 24 {
            return None;
        }
        let nibble = |c: u8| {
            char::from(c)
                .to_digit(16)
                .filter(|_| !c.is_ascii_uppercase())
        };
        let mut out = [0u8; 12];
        for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let hi = nibble(pair[0])?;
            let lo = nibble(pair[1])?;
            // Both are below 16.
            *o = u8::try_from(hi << 4 | lo).ok()?;
        }
        Some(Fingerprint(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 24];
        for (pair, b) in text.chunks_exact_mut(2).zip(self.0) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 15)];
        }
        // Only ASCII hex digits were written.
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fingerprint, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Fingerprint::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "fingerprint {text:?} is not 24 lowercase hex digits"
            ))
        })
    }
}

impl Finding {
    /// Rank used by `--fail-on`: 4 error, 3 warning, 2 action, 1 unknown, 0 otherwise.
    pub fn gate_rank(&self) -> u8 {
        match (self.status, self.severity) {
            (Status::Blocker, _) | (Status::Fail, Some(Severity::Error)) | (Status::Fail, None) => {
                4
            }
            (Status::Fail, Some(Severity::Warning)) => 3,
            (Status::Action, _) => 2,
            (Status::Unknown, _) => 1,
            _ => 0,
        }
    }

    pub fn compute_fingerprint(
        rule: &str,
        object: Option<&ObjectRef>,
        pointer: Option<&str>,
    ) -> Fingerprint {
        use sha2::{Digest, Sha256};
        use std::fmt::Write;
        /// Formats straight into the hash: a fingerprint per finding of a fleet-wide
        /// rule made this a visible share of a large check.
        struct Feed<'h>(&'h mut Sha256);
        impl Write for Feed<'_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.update(s.as_bytes());
                Ok(())
            }
        }
        let mut h = Sha256::new();
        h.update(rule.as_bytes());
        if let Some(o) = object {
            // Writing into a hash cannot fail.
            let _ = write!(
                Feed(&mut h),
                "|{}|{}|{}|{}|{}",
                o.scope(),
                o.api_version(),
                o.kind(),
                o.namespace().unwrap_or(""),
                o.name
            );
        }
        h.update(b"|");
        h.update(pointer.unwrap_or("").as_bytes());
        let d = h.finalize();
        let mut out = [0u8; 12];
        out.copy_from_slice(&d[..12]);
        Fingerprint(out)
    }
}

/// Counts per status.
pub type Summary = BTreeMap<Status, usize>;

/// What a violation means in a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Consequence {
    /// A step of the upgrade still to do (pre phase).
    Action,
    /// Must be fixed before the upgrade starts (pre phase).
    Blocker,
    Error,
    Warning,
    Info,
}

impl Consequence {
    pub fn severity(&self) -> Severity {
        match self {
            Consequence::Warning => Severity::Warning,
            Consequence::Info => Severity::Info,
            _ => Severity::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(message: &str) -> Evidence {
        Evidence {
            status: None,
            message: message.to_string(),
            location: None,
        }
    }

    #[test]
    fn a_shared_list_is_copied_only_for_an_item_that_needs_a_change() {
        let first: EvidenceList = vec![said("kept"), said("bad\r")].into();
        let mut second = first.clone();
        let shared = |a: &EvidenceList, b: &EvidenceList| a[..].as_ptr() == b[..].as_ptr();

        // Nothing needs it: still one list, and `change` never ran.
        second.edit(|e| e.message.contains('!'), |_| panic!("no item needed it"));
        assert!(shared(&first, &second));

        // One item needs it: this finding gets its own copy, the other keeps the original.
        second.edit(|e| e.message.contains('\r'), |e| e.message = "bad".into());
        assert!(!shared(&first, &second));
        assert_eq!(first[1].message, "bad\r");
        assert_eq!(second[0].message, "kept");
        assert_eq!(second[1].message, "bad");
    }

    #[test]
    fn a_fingerprint_reads_back_from_the_hex_reports_write_and_nothing_else() {
        let fp = Finding::compute_fingerprint("cluster-crd-removed", None, Some("/spec"));
        let hex = fp.hex();
        assert_eq!(hex.len(), 24);
        assert!(hex
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(Fingerprint::parse(&hex), Some(fp));
        assert_eq!(serde_json::to_value(fp).unwrap(), serde_json::json!(hex));
        let back: Fingerprint = serde_json::from_value(serde_json::json!(hex)).unwrap();
        assert_eq!(back, fp);
        // Byte order is text order: compare lists findings sorted by it.
        let other = Finding::compute_fingerprint("other", None, None);
        assert_eq!(fp.cmp(&other), hex.cmp(&other.hex()));
        for bad in [
            "",
            "x",
            &hex[..23],
            &format!("{hex}0"),
            &hex.to_uppercase(),
            &hex.replace(|_| true, "g"),
        ] {
            assert_eq!(Fingerprint::parse(bad), None, "{bad:?}");
        }
        let err = serde_json::from_value::<Fingerprint>(serde_json::json!("x")).unwrap_err();
        assert!(
            err.to_string().contains("not 24 lowercase hex digits"),
            "{err}"
        );
    }

    #[test]
    fn a_finding_writes_its_rule_names_first_and_reads_a_report_without_id_or_pack() {
        let f = Finding {
            rule: RuleRef::new("cluster-crd-removed", "KP1001", "karmada-v0.10-to-v1.0"),
            status: Status::Fail,
            severity: Some(Severity::Error),
            message: "m".into(),
            object: None,
            location: None,
            evidence: EvidenceList::default(),
            remediation: None,
            hop: None,
            suppressed_by: None,
            fingerprint: Finding::compute_fingerprint("cluster-crd-removed", None, None),
        };
        let text = serde_json::to_string(&f).unwrap();
        assert!(
            text.starts_with(
                r#"{"rule":"cluster-crd-removed","id":"KP1001","pack":"karmada-v0.10-to-v1.0","status":"fail""#
            ),
            "{text}"
        );
        let back: Finding = serde_json::from_str(&text).unwrap();
        assert_eq!(back.rule, f.rule);
        assert_eq!(back.fingerprint, f.fingerprint);
        let old: Finding = serde_json::from_value(serde_json::json!({
            "rule": "r", "status": "pass", "fingerprint": f.fingerprint
        }))
        .unwrap();
        assert_eq!(
            (old.rule.name(), old.rule.id(), old.rule.pack()),
            ("r", "", "")
        );
    }
}
