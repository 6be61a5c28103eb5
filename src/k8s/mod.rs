//! Kubernetes- and Karmada-shaped values that rules compare: cluster versions as reported by
//! `/version` or kubelet, Karmada release tags, and container image references.
//!
//! Everything here is pure parsing: no network, no panics on any input.

mod image;
mod version;

pub use image::{ImageError, ImageRef};
pub use version::{
    KarmadaVersion, KubeVersion, MinorHop, StepsError, VersionError, VersionErrorReason,
};
