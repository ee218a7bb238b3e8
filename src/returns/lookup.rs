//! Line id → line index, built once per decision.
//!
//! Orders have a handful of lines, so a linear scan over the ids beats hashing them (and
//! allocates once); large orders switch to a hash map so that lookups stay O(1).

use std::collections::HashMap;

/// Up to this many lines, lookups scan the ids.
const LINEAR_UP_TO: usize = 16;

/// The position of every line id of an order.
pub(crate) struct LineIndex<'a> {
    ids: Vec<&'a str>,
    map: Option<HashMap<&'a str, usize>>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn with_capacity(lines: usize) -> Self {
        LineIndex {
            ids: Vec::with_capacity(lines),
            map: (lines > LINEAR_UP_TO).then(|| HashMap::with_capacity(lines)),
        }
    }

    /// Adds the next line's id; returns the index of an earlier line with the same id
    /// instead when there is one (the id is then not added).
    pub(crate) fn push(&mut self, id: &'a str) -> Result<usize, usize> {
        if let Some(earlier) = self.get(id) {
            return Err(earlier);
        }
        let index = self.ids.len();
        self.ids.push(id);
        if let Some(map) = self.map.as_mut() {
            map.insert(id, index);
        }
        Ok(index)
    }

    /// The index of the line with this id.
    pub(crate) fn get(&self, id: &str) -> Option<usize> {
        match &self.map {
            Some(map) => map.get(id).copied(),
            None => self.ids.iter().position(|known| *known == id),
        }
    }
}
