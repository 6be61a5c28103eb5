//! Deciding which injected faults hit a request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::config::{Fault, FaultKind};

/// What the request is about, as far as fault matching cares.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub resource: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub verb: &'a str,
    pub name: Option<&'a str>,
    pub has_continue: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Status(u16),
    TooManyRequests(u64),
    Gone,
    CloseMidBody,
    Hang,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub latency: Duration,
    pub action: Option<Action>,
}

/// One cluster's faults; the counters make `GoneOnContinue` fire only `times` times.
#[derive(Debug, Default)]
pub struct FaultSet {
    faults: Vec<(Fault, AtomicUsize)>,
}

impl FaultSet {
    /// `names` are the cluster's name and context; a fault may use either.
    pub fn for_cluster(names: &[&str], all: &[Fault]) -> FaultSet {
        FaultSet {
            faults: all
                .iter()
                .filter(|f| names.contains(&f.cluster.as_str()))
                .map(|f| (f.clone(), AtomicUsize::new(0)))
                .collect(),
        }
    }

    /// Latencies add up; the first matching non-latency fault (in config order) wins.
    pub fn evaluate(&self, t: &Target<'_>) -> Decision {
        let mut d = Decision::default();
        for (f, fired) in &self.faults {
            if !matches(f, t) {
                continue;
            }
            let action = match &f.kind {
                FaultKind::Latency(l) => {
                    d.latency += *l;
                    None
                }
                FaultKind::Status(code) => Some(Action::Status(*code)),
                FaultKind::TooManyRequests { retry_after_secs } => {
                    Some(Action::TooManyRequests(*retry_after_secs))
                }
                FaultKind::GoneOnContinue { times } => {
                    let times = *times;
                    let take = t.has_continue
                        && fired
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                (n < times).then_some(n + 1)
                            })
                            .is_ok();
                    take.then_some(Action::Gone)
                }
                FaultKind::CloseMidBody => Some(Action::CloseMidBody),
                FaultKind::Hang => Some(Action::Hang),
            };
            if d.action.is_none() {
                d.action = action;
            }
        }
        d
    }
}

fn matches(f: &Fault, t: &Target<'_>) -> bool {
    let resource_ok = match (&f.resource, t.resource) {
        (None, _) => true,
        (Some(want), Some(got)) => want == got,
        (Some(_), None) => false,
    };
    let ns_ok = match (&f.namespace, t.namespace) {
        (None, _) => true,
        (Some(want), Some(got)) => want == got,
        (Some(_), None) => false,
    };
    let verb_ok = f.verb.as_deref().is_none_or(|v| v == t.verb);
    let name_ok = match (&f.name, t.name) {
        (None, _) => true,
        (Some(want), Some(got)) => want == got,
        (Some(_), None) => false,
    };
    resource_ok && ns_ok && verb_ok && name_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gone_fires_only_k_times_and_only_on_continue() {
        let set = FaultSet::for_cluster(
            &["a"],
            &[
                Fault::new("a", FaultKind::GoneOnContinue { times: 2 }).resource("pods"),
                Fault::new("a", FaultKind::Latency(Duration::from_millis(5))),
                Fault::new("b", FaultKind::Hang),
            ],
        );
        let mut t = Target {
            resource: Some("pods"),
            namespace: None,
            verb: "list",
            name: None,
            has_continue: false,
        };
        assert_eq!(set.evaluate(&t).action, None);
        assert_eq!(set.evaluate(&t).latency, Duration::from_millis(5));
        t.has_continue = true;
        assert_eq!(set.evaluate(&t).action, Some(Action::Gone));
        assert_eq!(set.evaluate(&t).action, Some(Action::Gone));
        assert_eq!(set.evaluate(&t).action, None);
    }

    #[test]
    fn namespace_and_verb_narrow() {
        let set = FaultSet::for_cluster(
            &["a"],
            &[Fault::new("a", FaultKind::Status(403))
                .resource("secrets")
                .namespace("x")
                .verb("list")],
        );
        let t = Target {
            resource: Some("secrets"),
            namespace: Some("x"),
            verb: "list",
            name: None,
            has_continue: false,
        };
        assert_eq!(set.evaluate(&t).action, Some(Action::Status(403)));
        assert_eq!(
            set.evaluate(&Target {
                namespace: None,
                ..t
            })
            .action,
            None
        );
        assert_eq!(set.evaluate(&Target { verb: "get", ..t }).action, None);
    }
}
