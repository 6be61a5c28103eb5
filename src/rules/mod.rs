//! Rules: YAML files that instantiate check templates, the catalog that loads them, the
//! phase they are judged in, and the engine that runs them.

pub mod catalog;
pub mod engine;
pub mod examples;
pub mod filter;
pub mod member_gaps;
pub mod path;
pub mod phase;
pub mod spec;

pub use catalog::{Catalog, Rule, RuleLoadError};
pub use engine::{run_rules, run_rules_on_path, RunOptions};
pub use filter::RuleFilter;
pub use path::UpgradePlan;
pub use phase::{Phase, PhaseDecision};
pub use spec::{Consequence, GuideStep, RuleSpec};
