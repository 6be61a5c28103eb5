//! Helpers shared by several templates (not templates themselves).

pub mod apiserver;
pub mod clusters;
pub mod naming;
