//! Bounds that keep hostile input from exhausting time or memory.

/// Limits applied while parsing one input. Defaults are far above anything a real
/// Kubernetes manifest needs (the API server itself caps objects at 1.5 MiB in etcd),
/// yet low enough that an alias bomb or a pathological document fails fast.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single YAML/JSON document, in bytes of source text.
    pub max_document_bytes: usize,
    /// Largest file read at all, in bytes.
    pub max_file_bytes: u64,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Total nodes that alias expansion may add to one document (billion laughs guard).
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 32 * 1024 * 1024,
            max_file_bytes: 1024 * 1024 * 1024,
            max_depth: 256,
            max_alias_nodes: 100_000,
        }
    }
}
