//! Helpers shared by several templates (not templates themselves).

pub mod apiserver;
pub mod clusters;
pub mod components;
pub mod front_proxy;
pub mod naming;
pub mod patch;
pub mod pointer;
pub mod secret;
