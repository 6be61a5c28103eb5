//! Behavioural tests of the RBAC evaluator, one concern per file. Every expectation is
//! what a Kubernetes API server would decide for the same objects.

mod aggregation;
mod bindings;
mod fixtures;
mod helpers;
mod karmada_agent;
mod robustness;
mod rules;
mod subjects;
