//! Helpers shared by several templates (not templates themselves).

pub mod apiserver;
pub mod naming;
