//! Where each field of a kept object is in its file, stored beside the object's [`Tree`]
//! at 4 bytes a node.
//!
//! The reader records positions by JSON pointer while it parses ([`SpanIndex`]: a
//! segment and 16 bytes per field, a third of a kept object's memory). Once the object's
//! tree is built the pointers are redundant (the tree has the keys), so the index is
//! turned into one packed position per tree node and dropped.

use super::pos::{array_index, pointer_keys};
use super::{Node, Pos, SpanIndex, Tree};

/// One position per node of a tree: `NONE` where the reader recorded none (a mapping
/// key, a field that came from an alias or a `<<` merge), which reports fall back from to
/// the nearest ancestor that has one, as [`SpanIndex::resolve`] does.
#[derive(Debug, Clone, Default)]
pub struct NodePositions {
    packed: Box<[u32]>,
    /// Positions that do not fit in 31 bits (line 2^21 and below, column below 1024
    /// fit): rare, so kept aside at full size instead of widening every node.
    overflow: Box<[Pos]>,
}

const NONE: u32 = 0;
const OVERFLOW: u32 = 1 << 31;
const COLUMN_BITS: u32 = 10;
const LINE_LIMIT: u32 = 1 << 21;

impl NodePositions {
    /// The positions of `tree`'s nodes, read from `spans` (the index the reader built
    /// for the same document, its first entry the tree's root).
    pub fn new(tree: &Tree, spans: &SpanIndex) -> NodePositions {
        let mut packed = vec![NONE; tree.len()];
        let mut overflow = Vec::new();
        spans.for_each_node_position(tree.root(), |id, pos| {
            if let Some(slot) = packed.get_mut(id) {
                *slot = pack(pos, &mut overflow);
            }
        });
        NodePositions {
            packed: packed.into_boxed_slice(),
            overflow: overflow.into_boxed_slice(),
        }
    }

    /// The position of node `id`, if the reader recorded one.
    pub fn of(&self, id: usize) -> Option<Pos> {
        match self.packed.get(id).copied().unwrap_or(NONE) {
            NONE => None,
            p if p & OVERFLOW != 0 => self.overflow.get((p & !OVERFLOW) as usize).copied(),
            p => Some(Pos {
                line: p >> COLUMN_BITS,
                column: p & ((1 << COLUMN_BITS) - 1),
            }),
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
        (0..self.packed.len()).filter_map(|i| self.of(i))
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
        let np = NodePositions {
            packed: packed.into_boxed_slice(),
            overflow: over.into_boxed_slice(),
        };
        for (i, p) in cases.iter().enumerate() {
            assert_eq!(np.of(i), Some(*p), "{p:?}");
        }
        assert_eq!(
            np.overflow.len(),
            4,
            "only the ones that do not fit go aside"
        );
    }
}
