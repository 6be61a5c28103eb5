//! karmada-preflight: preflight and compliance checks for upgrading Karmada.
//!
//! Data flows `sources -> inventory -> rules -> findings -> reports`; each folder under
//! `src/` is one of those stages.

pub mod certs;
pub mod k8s;
