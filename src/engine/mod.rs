//! The engine: everything between a configuration and a report (catalog, inputs, phase,
//! rules, suppressions), so the CLI only parses arguments and prints.

pub mod suppress;
