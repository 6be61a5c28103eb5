//! The objects the rules read, indexed by kind and scope, plus what the loaders noticed
//! about the input itself.

pub mod aggregated_apiserver;
pub mod components;
pub mod etcd;
pub mod fingerprint;
pub mod karmada;
pub mod object;
pub mod store;
pub mod workload;

pub use object::{Location, Object, ObjectRef, Origin, Scope};
pub use store::{Gap, GapCause, InputProblem, InputSummary, Inventory, LiveRead, ScopeSel};
