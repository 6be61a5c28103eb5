//! The upgrade itself, below the checks and the rules that judge it: the releases the
//! rules know, hops and upgrade paths (`path`), and the phase (before or after the
//! upgrade) with the installed version it is detected from (`phase`).

pub mod path;
pub mod phase;

pub use path::UpgradePlan;
pub use phase::{Phase, PhaseDecision};
