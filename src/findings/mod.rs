//! What a rule concluded about one object (or about the absence of one).

pub mod finding;
pub mod remediation;

pub use finding::{
    Consequence, Evidence, EvidenceList, Finding, Fingerprint, Name, RuleRef, Severity, Status,
    Summary,
};
pub use remediation::{FixStep, Manifest, ManifestKind, Remediation, RunsOn};
