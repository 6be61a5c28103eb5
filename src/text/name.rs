//! [`Name`]: shared text for strings that many values repeat.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Shared, immutable text that compares, prints and serialises as the string it holds.
///
/// For strings that many values repeat: a rule's name, id, pack and hop on each of its
/// findings (a fleet-wide rule gives one finding per Cluster), and an object's identity
/// (`inventory::ObjectRef`), which every finding about the object carries. A copy is a
/// reference count, not a heap string.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Arc::from(s))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Name {
    /// `s` as a `Name` shared with every other `shared` copy of the same text made on
    /// this thread: a fleet's objects repeat a handful of apiVersions, kinds and
    /// namespaces, and each would otherwise hold its own heap copy. Bounded: only short
    /// texts, and at most [`SHARED_MAX`] of them per thread; past that, a fresh copy.
    pub fn shared(s: &str) -> Name {
        thread_local! {
            static SEEN: std::cell::RefCell<std::collections::HashSet<Name>> =
                std::cell::RefCell::default();
        }
        if s.len() > SHARED_MAX_BYTES {
            return Name::from(s);
        }
        SEEN.with(|seen| {
            let Ok(mut seen) = seen.try_borrow_mut() else {
                return Name::from(s);
            };
            if let Some(n) = seen.get(s) {
                return n.clone();
            }
            let n = Name::from(s);
            if seen.len() < SHARED_MAX {
                seen.insert(n.clone());
            }
            n
        })
    }
}

/// Most texts [`Name::shared`] keeps per thread.
pub const SHARED_MAX: usize = 4096;
/// Longest text [`Name::shared`] keeps (apiVersions, kinds and namespaces are short).
const SHARED_MAX_BYTES: usize = 253;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_text_is_one_allocation_and_compares_as_text() {
        let a = Name::shared("apps/v1");
        let b = Name::shared(&String::from("apps/v1"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "apps/v1");
        assert_eq!(a, Name::from("apps/v1"));
        let long = "x".repeat(SHARED_MAX_BYTES + 1);
        assert!(!Arc::ptr_eq(&Name::shared(&long).0, &Name::shared(&long).0));
    }
}
