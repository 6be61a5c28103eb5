//! karmada-preflight: preflight and compliance checks for upgrading Karmada.
//!
//! Layers, lowest first; a module uses only its own layer and those below
//! (`tests/layers.rs` enforces it, docs/architecture.md explains each):
//! `text` < `k8s`, `certs` < `inventory` < `sources` < `findings` < `upgrade` <
//! `rbac`, `checks` < `rules` < `reports` < `engine` < `cli`.
//! Sources fill the inventory model, checks (templates) judge it, rules instantiate
//! checks, the engine turns a configuration into a report, the CLI parses and prints.

pub mod alloc;
pub mod certs;
pub mod checks;
pub mod cli;
pub mod engine;
pub mod findings;
pub mod inventory;
pub mod k8s;
pub mod par;
pub mod rbac;
pub mod reports;
pub mod rules;
pub mod sources;
pub mod text;
pub mod upgrade;
