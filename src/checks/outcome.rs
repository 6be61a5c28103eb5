//! What a check says about one subject, before the phase turns it into a status.

use std::sync::Arc;

use crate::findings::Consequence;
use crate::findings::{EvidenceList, Remediation, Severity};
use crate::inventory::{Location, Object, ObjectRef};
use crate::k8s::MinorHop;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Wrong for the target state; the rule's phase says what that means (action,
    /// blocker, error, ...).
    Violation,
    NotApplicable,
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    pub message: String,
    pub object: Option<ObjectRef>,
    pub location: Option<Location>,
    pub evidence: EvidenceList,
    pub remediation: Option<Arc<Remediation>>,
    /// A violation that is only ever a warning (e.g. a certificate expiring soon), in
    /// any phase.
    pub severity_cap: Option<Severity>,
    /// Overrides the rule's phase consequence for this subject, for a rule whose
    /// subjects differ in weight (a leftover CRD is a step; objects using it block).
    pub consequence: Option<Consequence>,
    /// The hop this subject belongs to, for a rule of no hop that speaks of each hop of
    /// the path (component images); otherwise the rule's own.
    pub hop: Option<MinorHop>,
}

impl Outcome {
    fn new(verdict: Verdict, message: impl Into<String>) -> Outcome {
        Outcome {
            verdict,
            message: message.into(),
            object: None,
            location: None,
            evidence: EvidenceList::default(),
            remediation: None,
            severity_cap: None,
            consequence: None,
            hop: None,
        }
    }

    pub fn pass(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Pass, message)
    }
    pub fn violation(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Violation, message)
    }
    pub fn unknown(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Unknown, message)
    }
    pub fn skip(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::NotApplicable, message)
    }

    /// Attach the subject object and the field the outcome is about.
    pub fn at(mut self, obj: &Object, pointer: &str) -> Outcome {
        self.object = Some(obj.r.clone());
        self.location = Some(obj.locate(pointer));
        self
    }

    /// The subject is an object that should exist but does not.
    pub fn about(mut self, expected: ObjectRef) -> Outcome {
        self.object = Some(expected);
        self
    }

    /// Pass an [`EvidenceList`] made once to give many outcomes the same items.
    pub fn with_evidence(mut self, evidence: impl Into<EvidenceList>) -> Outcome {
        self.evidence = evidence.into();
        self
    }

    /// Report the subject under `hop` (see [`Outcome::hop`]).
    pub fn for_hop(mut self, hop: MinorHop) -> Outcome {
        self.hop = Some(hop);
        self
    }

    /// Pass an `Arc` made once to give many outcomes the same remediation.
    pub fn with_remediation(mut self, r: impl Into<Arc<Remediation>>) -> Outcome {
        self.remediation = Some(r.into());
        self
    }

    pub fn with_consequence(mut self, c: Consequence) -> Outcome {
        self.consequence = Some(c);
        self
    }

    pub fn capped(mut self, s: Severity) -> Outcome {
        self.severity_cap = Some(s);
        self
    }
}
