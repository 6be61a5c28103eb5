//! Rules: YAML files that instantiate check templates, the catalog that loads them, and
//! the engine that runs them in a phase (`upgrade::Phase`) on an upgrade path.

pub mod catalog;
pub mod engine;
pub mod examples;
pub mod filter;
pub mod member_gaps;
pub mod path;
pub mod spec;

pub use catalog::{Catalog, Rule, RuleLoadError};
pub use engine::{run_rules, run_rules_on_path, FindingNames, RunOptions};
pub use filter::RuleFilter;
pub use spec::{GuideStep, RuleSpec};
