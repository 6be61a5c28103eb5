//! karmada-preflight: preflight and compliance checks for upgrading Karmada.
//!
//! Data flows `sources -> inventory -> rules -> findings -> reports`; each folder under
//! `src/` is one of those stages (`checks/` holds the templates rules instantiate;
//! `k8s/`, `certs/`, `rbac/` are domain helpers: Kubernetes versions and images,
//! front-proxy certificates, RBAC evaluation).

pub mod certs;
pub mod checks;
pub mod cli;
pub mod findings;
pub mod inventory;
pub mod k8s;
pub mod rbac;
pub mod reports;
pub mod rules;
pub mod sources;
