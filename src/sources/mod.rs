//! Where objects come from: offline files (this folder) and live clusters (`live/`);
//! `etcd/` reads key names from etcd for the Cluster CRD removal checks.

pub mod bounded;
pub mod etcd;
pub mod files;
pub mod helm;
pub mod key_material;
pub mod limits;
pub mod live;
pub mod safe_name;
pub mod safe_text;
pub mod yaml;

pub use files::{load_inputs, InputSpec, KindFilter, ObjectFilter};
pub use limits::Limits;
