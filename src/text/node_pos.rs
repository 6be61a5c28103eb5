//! Where each field of a kept object is in its file, stored beside the object's [`Tree`]
//! at 2 or 4 bytes a node.
//!
//! The reader records positions by JSON pointer while it parses ([`SpanIndex`]: a
//! segment and 16 bytes per field, a third of a kept object's memory). Once the object's
//! tree is built the pointers are redundant (the tree has the keys), so the index is
//! turned into one packed position per tree node and dropped.

use super::pos::{array_index, escape_segment, pointer_keys};
use super::{Node, Pos, SpanIndex, Tree};

/// One position per node of a tree, or none where the reader recorded none (a mapping
/// key, a field that came from an alias or a `<<` merge): reports fall back from those to
/// the nearest ancestor that has one, as [`SpanIndex::resolve`] does.
#[derive(Debug, Clone)]
pub enum NodePositions {
    /// Every position within 1,023 lines of `base` and in the first 63 columns (a block
    /// YAML object, nearly always): 2 bytes a node, `line - base` above 6 bits of column.
    Near { base: u32, packed: Box<[u16]> },
    /// Anything else (long objects, one-line JSON): 4 bytes a node, 21 bits of line above
    /// 10 of column; positions that do not fit even that are kept aside at full size.
    /// Boxed: rare, and every object of a fleet holds this enum.
    Far(Box<Far>),
}

/// Positions of [`NodePositions::Far`].
#[derive(Debug, Clone)]
pub struct Far {
    packed: Box<[u32]>,
    overflow: Box<[Pos]>,
}

impl Default for NodePositions {
    fn default() -> Self {
        NodePositions::Near {
            base: 0,
            packed: Box::default(),
        }
    }
}

const NONE: u32 = 0;
const NO_POS: Pos = Pos { line: 0, column: 0 };
const OVERFLOW: u32 = 1 << 31;
const COLUMN_BITS: u32 = 10;
const LINE_LIMIT: u32 = 1 << 21;
const NEAR_COLUMN_BITS: u32 = 6;
const NEAR_LINES: u32 = 1 << (16 - NEAR_COLUMN_BITS);

impl NodePositions {
    /// The positions of `tree`'s nodes, read from `spans` (the index the reader built
    /// for the same document, its first entry the tree's root).
    pub fn new(tree: &Tree, spans: &SpanIndex) -> NodePositions {
        let mut each = vec![NO_POS; tree.len()];
        spans.for_each_node_position(tree.root(), |id, p| {
            if let Some(slot) = each.get_mut(id) {
                *slot = p;
            }
        });
        NodePositions::from_positions(&each)
    }

    /// Node `i`'s position at `each[i]`, line 0 where there is none.
    pub fn from_positions(each: &[Pos]) -> NodePositions {
        let mut lines = (u32::MAX, 0);
        let mut columns = (u32::MAX, 0);
        for p in each.iter().filter(|p| p.line > 0) {
            lines = (lines.0.min(p.line), lines.1.max(p.line));
            columns = (columns.0.min(p.column), columns.1.max(p.column));
        }
        let base = if lines.0 == u32::MAX { 0 } else { lines.0 };
        let near = lines.1.saturating_sub(base) < NEAR_LINES
            && columns.0 > 0
            && columns.1 < (1 << NEAR_COLUMN_BITS);
        if near {
            let packed = each
                .iter()
                .map(|p| match p.line {
                    0 => 0,
                    // Nonzero: every column is at least 1 (checked above).
                    line => (((line - base) << NEAR_COLUMN_BITS) | p.column) as u16,
                })
                .collect();
            return NodePositions::Near { base, packed };
        }
        let mut overflow = Vec::new();
        let packed = each
            .iter()
            .map(|p| match p.line {
                0 => NONE,
                _ => pack(*p, &mut overflow),
            })
            .collect();
        NodePositions::Far(Box::new(Far {
            packed,
            overflow: overflow.into_boxed_slice(),
        }))
    }

    /// The same positions by JSON pointer, for readers that work on a `Value` (documents
    /// embedded in ConfigMaps, the items of a List). Nodes without a position, and what
    /// is below them, get no entry, as the reader records none for them.
    pub fn to_span_index(&self, tree: &Tree) -> SpanIndex {
        let mut spans = SpanIndex::default();
        let Some(root_pos) = self.of(0) else {
            return spans;
        };
        let root = spans.record_child(None, "", root_pos);
        // Pre-order, as the reader records (children pushed in reverse).
        fn push_children<'t>(todo: &mut Vec<(Node<'t>, u32, String)>, node: Node<'t>, entry: u32) {
            let start = todo.len();
            if let Some(entries) = node.entries() {
                todo.extend(entries.map(|(k, v)| (v, entry, escape_segment(k))));
            } else if let Some(items) = node.items() {
                todo.extend(items.enumerate().map(|(i, v)| (v, entry, i.to_string())));
            }
            todo[start..].reverse();
        }
        let mut todo = Vec::new();
        push_children(&mut todo, tree.root(), root);
        while let Some((node, parent, seg)) = todo.pop() {
            let Some(p) = self.of(node.id()) else {
                continue;
            };
            let entry = spans.record_child(Some(parent), &seg, p);
            push_children(&mut todo, node, entry);
        }
        spans
    }

    /// The position of node `id`, if the reader recorded one.
    pub fn of(&self, id: usize) -> Option<Pos> {
        match self {
            NodePositions::Near { base, packed } => match u32::from(*packed.get(id)?) {
                0 => None,
                p => Some(Pos {
                    line: base + (p >> NEAR_COLUMN_BITS),
                    column: p & ((1 << NEAR_COLUMN_BITS) - 1),
                }),
            },
            NodePositions::Far(far) => match far.packed.get(id).copied()? {
                NONE => None,
                p if p & OVERFLOW != 0 => far.overflow.get((p & !OVERFLOW) as usize).copied(),
                p => Some(Pos {
                    line: p >> COLUMN_BITS,
                    column: p & ((1 << COLUMN_BITS) - 1),
                }),
            },
        }
    }

    fn len(&self) -> usize {
        match self {
            NodePositions::Near { packed, .. } => packed.len(),
            NodePositions::Far(far) => far.packed.len(),
        }
    }

    /// The position of the field at `pointer` in `tree`, else of its nearest present
    /// ancestor that has one; None when not even the root has one.
    pub fn resolve(&self, tree: &Tree, pointer: &str) -> Option<Pos> {
        let mut at: Node<'_> = tree.root();
        let mut found = self.of(at.id());
        let keys = pointer_keys(pointer)?;
        for key in keys {
            let next = if at.is_object() {
                at.get(&key)
            } else if at.is_array() {
                array_index(&key).and_then(|i| at.index(i))
            } else {
                None
            };
            let Some(next) = next else { break };
            at = next;
            found = self.of(at.id()).or(found);
        }
        found
    }

    /// Every recorded position (for tests that hold positions inside the text).
    pub fn iter(&self) -> impl Iterator<Item = Pos> + '_ {
        (0..self.len()).filter_map(|i| self.of(i))
    }
}

fn pack(pos: Pos, overflow: &mut Vec<Pos>) -> u32 {
    if pos.line > 0 && pos.line < LINE_LIMIT && pos.column < (1 << COLUMN_BITS) {
        return (pos.line << COLUMN_BITS) | pos.column;
    }
    // A node count fits in u32 (tree ids do), and there is at most one overflow per node.
    let i = u32::try_from(overflow.len()).unwrap_or(u32::MAX) & !OVERFLOW;
    overflow.push(pos);
    OVERFLOW | i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn packs_small_and_large_positions_exactly() {
        let mut over = Vec::new();
        let cases = [
            at(1, 1),
            at(1, 1023),
            at(1, 1024),
            at(LINE_LIMIT - 1, 7),
            at(LINE_LIMIT, 7),
            at(u32::MAX, u32::MAX),
            at(0, 0),
        ];
        let packed: Vec<u32> = cases.iter().map(|p| pack(*p, &mut over)).collect();
        assert_eq!(over.len(), 4, "only the ones that do not fit go aside");
        let np = NodePositions::Far(Box::new(Far {
            packed: packed.into_boxed_slice(),
            overflow: over.into_boxed_slice(),
        }));
        for (i, p) in cases.iter().enumerate() {
            assert_eq!(np.of(i), Some(*p), "{p:?}");
        }
    }
}
