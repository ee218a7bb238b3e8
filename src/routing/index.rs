//! The request's stock rows indexed by (node position, order SKU index), and the fixed
//! hash used for id lookups.

use super::StockRow;

/// Stock rows by (node position in the request, order SKU index). Memory grows with the
/// rows relevant to the order, never with nodes × SKUs.
pub(super) struct StockIndex<'r> {
    width: usize,
    dense: Option<Vec<Option<(usize, &'r StockRow)>>>,
    rows: FastMap<(usize, usize), (usize, &'r StockRow)>,
    /// Per node: it has at least one row for the order's SKUs.
    stocked: Vec<bool>,
}

impl<'r> StockIndex<'r> {
    /// At most this many (node, SKU) cells are allocated as a direct table (16 MiB).
    const DENSE_LIMIT: usize = 1 << 20;

    /// An empty index for `nodes` nodes and `width` order SKUs.
    pub(super) fn new(nodes: usize, width: usize) -> Self {
        let cells = nodes.saturating_mul(width);
        StockIndex {
            width,
            // A direct table while it stays small; a map beyond, so hostile sizes cannot
            // allocate nodes × SKUs cells.
            dense: (cells <= Self::DENSE_LIMIT).then(|| vec![None; cells]),
            rows: FastMap::default(),
            stocked: vec![false; nodes],
        }
    }

    /// Stores a row (and marks its node stocked); returns the earlier one for the same
    /// cell, if any.
    pub(super) fn insert(
        &mut self,
        node: usize,
        sku: usize,
        row: (usize, &'r StockRow),
    ) -> Option<(usize, &'r StockRow)> {
        if let Some(flag) = self.stocked.get_mut(node) {
            *flag = true;
        }
        match self.dense.as_mut() {
            Some(table) => table
                .get_mut(node.saturating_mul(self.width).saturating_add(sku))
                .and_then(|slot| slot.replace(row)),
            None => self.rows.insert((node, sku), row),
        }
    }

    /// The row of a node for an order SKU index, if any.
    pub(super) fn row(&self, node: usize, sku: usize) -> Option<&'r StockRow> {
        match self.dense.as_ref() {
            Some(table) => table
                .get(node.saturating_mul(self.width).saturating_add(sku))
                .copied()
                .flatten()
                .map(|(_, row)| row),
            None => self.rows.get(&(node, sku)).map(|(_, row)| *row),
        }
    }

    /// Whether the node has a row for at least one of the order's SKUs.
    pub(super) fn stocked(&self, node: usize) -> bool {
        self.stocked.get(node).copied().unwrap_or(false)
    }
}

/// FNV-1a (Fowler, Noll, Vo): a fixed, fast hash for short ids. Deterministic (no random
/// seed), which the library needs: it reads no randomness.
#[derive(Default)]
pub(super) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = if self.0 == 0 { OFFSET } else { self.0 };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
        self.0 = hash;
    }
}

/// A hash map with the [`Fnv`] hash.
pub(super) type FastMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;
