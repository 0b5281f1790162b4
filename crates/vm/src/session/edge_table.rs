//! A session's edges: one per directed pair of roles that the session's
//! programs can use, not one per pair of the image's roles.
//!
//! Every edge is still addressed by its pair's *dense index*
//! `from * width + to` (the replay accumulators, the fingerprints and the
//! checkpoint all speak of edges that way); a shared [`EdgeLayout`] maps a
//! dense index to where the edge is stored. A pair with no edge is one no
//! program of the session sends or receives on: a step that tries is a
//! protocol violation either way. Two-phase commit with 8 participants has
//! 16 edges among 81 pairs, and the explorer copies every state's edges.

use crate::session::Edge;
use crate::tracked_vec::TrackedVec;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::Arc;

/// Marks a pair with no edge in [`EdgeLayout::position`].
const NO_EDGE: u32 = u32::MAX;

/// The most pairs a restored table may claim (2,048 roles): a bound on
/// what a corrupt checkpoint can make the loader allocate.
const MAX_PAIRS: usize = 1 << 22;

/// Which pairs have an edge: fixed when the session opens, shared by the
/// session's copies.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EdgeLayout {
    /// Dense index → where the edge is stored (`NO_EDGE`: no edge).
    position: Box<[u32]>,
    /// Where an edge is stored → its dense index, increasing.
    dense: Box<[u32]>,
}

impl EdgeLayout {
    /// The layout of `pairs` pairs with an edge at each of `dense` (any
    /// order, repeats allowed; an index out of range is left out).
    pub(crate) fn new(pairs: usize, mut dense: Vec<u32>) -> Self {
        dense.retain(|&i| (i as usize) < pairs);
        dense.sort_unstable();
        dense.dedup();
        let mut position = vec![NO_EDGE; pairs].into_boxed_slice();
        for (at, &i) in dense.iter().enumerate() {
            position[i as usize] = at as u32;
        }
        EdgeLayout {
            position,
            dense: dense.into_boxed_slice(),
        }
    }

    #[inline]
    fn position(&self, index: usize) -> Option<usize> {
        match self.position.get(index) {
            Some(&at) if at != NO_EDGE => Some(at as usize),
            _ => None,
        }
    }
}

/// A session's edges, by dense index.
#[derive(Debug)]
pub(crate) struct EdgeTable {
    layout: Arc<EdgeLayout>,
    edges: TrackedVec<Edge>,
}

impl EdgeTable {
    /// A table with an edge, made by `edge(dense index)`, at every pair
    /// `layout` has.
    pub(crate) fn new(layout: Arc<EdgeLayout>, edge: impl Fn(usize) -> Edge) -> Self {
        let edges = layout.dense.iter().map(|&i| edge(i as usize)).collect();
        EdgeTable {
            layout,
            edges: TrackedVec::new(edges),
        }
    }

    /// How many pairs the table addresses (width², edge or not).
    pub(crate) fn pairs(&self) -> usize {
        self.layout.position.len()
    }

    /// Whether the pair `index` has an edge.
    #[inline]
    pub(crate) fn contains(&self, index: usize) -> bool {
        self.layout.position(index).is_some()
    }

    /// The edge of pair `index`.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&Edge> {
        self.edges.get(self.layout.position(index)?)
    }

    /// The edge of pair `index`, for writing.
    #[inline]
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Edge> {
        let at = self.layout.position(index)?;
        self.edges.get_mut(at)
    }

    /// Every edge, in pair order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Edge> {
        self.edges.iter()
    }

    /// Every edge with its pair's dense index, in pair order.
    pub(crate) fn indexed(&self) -> impl Iterator<Item = (usize, &Edge)> {
        self.layout
            .dense
            .iter()
            .map(|&i| i as usize)
            .zip(self.edges.iter())
    }

    /// Every edge, for writing.
    pub(crate) fn all_mut(&mut self) -> &mut [Edge] {
        self.edges.all_mut()
    }

    /// The edges ever written, with their pairs' dense indices, in order:
    /// an edge not listed is as the session opened it.
    pub(crate) fn written_elements(&self) -> impl Iterator<Item = (usize, &Edge)> {
        let dense = &self.layout.dense;
        self.edges
            .written_elements()
            .filter_map(move |(at, e)| Some((*dense.get(at)? as usize, e)))
    }

    /// The edges written since this table was made a copy of `source`, as
    /// `(dense index, source's edge, this table's edge)`, if it was and
    /// `source` is unchanged since: every other edge equals `source`'s.
    pub(crate) fn touched_since_copy_of<'a>(
        &'a self,
        source: &'a Self,
    ) -> Option<impl Iterator<Item = (usize, &'a Edge, &'a Edge)> + 'a> {
        if !Arc::ptr_eq(&self.layout, &source.layout) && self.layout != source.layout {
            return None;
        }
        let touched = self.edges.touched_since_copy_of(&source.edges)?;
        let dense = &self.layout.dense;
        Some(
            crate::tracked_vec::set_bits(touched.iter().copied()).filter_map(move |at| {
                Some((
                    *dense.get(at)? as usize,
                    source.edges.get(at)?,
                    self.edges.get(at)?,
                ))
            }),
        )
    }
}

impl std::ops::Index<usize> for EdgeTable {
    type Output = Edge;

    /// The edge of pair `index`, which must have one (callers look the
    /// pair up with `Session::checked_edge_index` first).
    #[inline]
    fn index(&self, index: usize) -> &Edge {
        self.get(index).expect("a checked pair has an edge")
    }
}

impl std::ops::IndexMut<usize> for EdgeTable {
    #[inline]
    fn index_mut(&mut self, index: usize) -> &mut Edge {
        self.get_mut(index).expect("a checked pair has an edge")
    }
}

impl Clone for EdgeTable {
    fn clone(&self) -> Self {
        EdgeTable {
            layout: Arc::clone(&self.layout),
            edges: self.edges.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        if !Arc::ptr_eq(&self.layout, &source.layout) {
            self.layout = Arc::clone(&source.layout);
        }
        self.edges.clone_from(&source.edges);
    }
}

/// The checkpointed form: the pair count, the pairs with an edge, and the
/// edges in that order.
#[derive(Serialize, Deserialize)]
struct EdgeTableForm<E> {
    pairs: u64,
    dense: Vec<u32>,
    edges: E,
}

impl Serialize for EdgeTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EdgeTableForm {
            pairs: self.pairs() as u64,
            dense: self.layout.dense.to_vec(),
            edges: &self.edges,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EdgeTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let form = EdgeTableForm::<TrackedVec<Edge>>::deserialize(deserializer)?;
        let pairs = usize::try_from(form.pairs)
            .ok()
            .filter(|p| *p <= MAX_PAIRS)
            .ok_or_else(|| D::Error::custom(format!("an edge table of {} pairs", form.pairs)))?;
        let increasing = form.dense.windows(2).all(|w| w[0] < w[1]);
        let in_range = form.dense.last().map_or(true, |&i| (i as usize) < pairs);
        if !increasing || !in_range || form.dense.len() != form.edges.len() {
            return Err(D::Error::custom(
                "an edge table whose pairs are out of range, out of order or unlike its edges",
            ));
        }
        Ok(EdgeTable {
            layout: Arc::new(EdgeLayout::new(pairs, form.dense)),
            edges: form.edges,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::BufferConfig;

    /// An edge bound to the handler numbered like its pair.
    fn edge(pair: usize) -> Edge {
        Edge::new(&BufferConfig::default(), pair as u16)
    }

    /// Pairs 7, 1 and 5 (given out of order, 7 twice; 12 is out of range)
    /// of a 3-role table.
    fn table() -> EdgeTable {
        EdgeTable::new(Arc::new(EdgeLayout::new(9, vec![7, 1, 12, 5, 7])), edge)
    }

    #[test]
    fn edges_are_found_by_dense_index_and_only_where_the_layout_has_them() {
        let mut t = table();
        assert_eq!(t.pairs(), 9);
        let present: Vec<usize> = (0..12).filter(|&i| t.contains(i)).collect();
        assert_eq!(present, [1, 5, 7]);
        assert_eq!(t.get(5).map(|e| e.handler), Some(5));
        assert!(t.get(4).is_none() && t.get_mut(9).is_none());
        let indexed: Vec<(usize, u16)> = t.indexed().map(|(i, e)| (i, e.handler)).collect();
        assert_eq!(indexed, [(1, 1), (5, 5), (7, 7)]);
        assert_eq!(t.written_elements().count(), 0);
        t[7].partitioned = true;
        let written: Vec<usize> = t.written_elements().map(|(i, _)| i).collect();
        assert_eq!(written, [7]);
    }

    #[test]
    fn a_copy_reports_the_pairs_written_since_by_dense_index() {
        let source = table();
        let mut copy = source.clone();
        assert_eq!(
            copy.touched_since_copy_of(&source).map(Iterator::count),
            Some(0)
        );
        copy[5].send_waiting = true;
        let touched: Vec<(usize, bool, bool)> = copy
            .touched_since_copy_of(&source)
            .expect("a copy of an unchanged source")
            .map(|(i, was, is)| (i, was.send_waiting, is.send_waiting))
            .collect();
        assert_eq!(touched, [(5, false, true)]);
        let other = EdgeTable::new(Arc::new(EdgeLayout::new(9, vec![1, 5])), edge);
        assert!(copy.touched_since_copy_of(&other).is_none());
    }

    #[test]
    fn the_checkpointed_form_round_trips_and_refuses_inconsistent_tables() {
        let t = table();
        let bytes = postcard::to_allocvec(&t).expect("serializes");
        let back: EdgeTable = postcard::from_bytes(&bytes).expect("deserializes");
        assert_eq!(back.pairs(), 9);
        let indexed: Vec<usize> = back.indexed().map(|(i, _)| i).collect();
        assert_eq!(indexed, [1, 5, 7]);
        let forms = [
            (9, vec![5, 1, 7]),
            (9, vec![1, 5, 9]),
            (9, vec![1, 5]),
            (u64::MAX, vec![1, 5, 7]),
        ];
        for (pairs, dense) in forms {
            let form = EdgeTableForm {
                pairs,
                dense: dense.clone(),
                edges: &t.edges,
            };
            let bytes = postcard::to_allocvec(&form).expect("serializes");
            let refused = postcard::from_bytes::<EdgeTable>(&bytes);
            assert!(refused.is_err(), "{pairs} pairs at {dense:?}");
        }
    }
}
