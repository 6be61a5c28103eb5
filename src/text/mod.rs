//! The lowest layer: plain text helpers every other layer may use and that use nothing
//! of this crate. Positions in a file (`Pos`, `SpanIndex`, JSON-pointer escaping) and the
//! YAML writer (reports print YAML, `collect --out` bundles and fix files are YAML).

pub mod keys;
pub mod name;
pub mod node_pos;
pub mod pos;
pub mod tree;
pub mod tree_writer;
pub mod values;
pub mod yaml_writer;

pub use name::Name;
pub use node_pos::NodePositions;
pub use pos::{escape_segment, lookup, push_escaped, Pos, SpanIndex};
pub use tree::{Node, Tree};
pub use yaml_writer::to_yaml;
