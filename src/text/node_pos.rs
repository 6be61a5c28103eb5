//! Where each field of a kept object is in its file, stored beside the object's [`Tree`]
//! at 2 or 4 bytes a node.
//!
//! The reader records positions by JSON pointer while it parses ([`SpanIndex`]: a
//! segment and 16 bytes per field, a third of a kept object's memory). Once the object's
//! tree is built the pointers are redundant (the tree has the keys), so the index is
//! turned into one packed position per tree node and dropped.

use super::pos::{array_index, pointer_keys};
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
    Far {
        packed: Box<[u32]>,
        overflow: Box<[Pos]>,
    },
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
const OVERFLOW: u32 = 1 << 31;
const COLUMN_BITS: u32 = 10;
const LINE_LIMIT: u32 = 1 << 21;
const NEAR_COLUMN_BITS: u32 = 6;
const NEAR_LINES: u32 = 1 << (16 - NEAR_COLUMN_BITS);

impl NodePositions {
    /// The positions of `tree`'s nodes, read from `spans` (the index the reader built
    /// for the same document, its first entry the tree's root).
    pub fn new(tree: &Tree, spans: &SpanIndex) -> NodePositions {
        let b = spans.bounds();
        let base = b.lines.0;
        if b.lines.1 - base < NEAR_LINES && b.columns.0 > 0 && b.columns.1 < (1 << NEAR_COLUMN_BITS)
        {
            let mut packed = vec![0u16; tree.len()];
            spans.for_each_node_position(tree.root(), |id, p| {
                if let Some(slot) = packed.get_mut(id) {
                    // Nonzero: every column is at least 1 (checked above).
                    *slot = (((p.line - base) << NEAR_COLUMN_BITS) | p.column) as u16;
                }
            });
            return NodePositions::Near {
                base,
                packed: packed.into_boxed_slice(),
            };
        }
        let mut packed = vec![NONE; tree.len()];
        let mut overflow = Vec::new();
        spans.for_each_node_position(tree.root(), |id, p| {
            if let Some(slot) = packed.get_mut(id) {
                *slot = pack(p, &mut overflow);
            }
        });
        NodePositions::Far {
            packed: packed.into_boxed_slice(),
            overflow: overflow.into_boxed_slice(),
        }
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
            NodePositions::Far { packed, overflow } => match packed.get(id).copied()? {
                NONE => None,
                p if p & OVERFLOW != 0 => overflow.get((p & !OVERFLOW) as usize).copied(),
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
            NodePositions::Far { packed, .. } => packed.len(),
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
        let np = NodePositions::Far {
            packed: packed.into_boxed_slice(),
            overflow: over.into_boxed_slice(),
        };
        for (i, p) in cases.iter().enumerate() {
            assert_eq!(np.of(i), Some(*p), "{p:?}");
        }
    }
}
