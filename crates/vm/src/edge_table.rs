//! A session's directed edges, dense by `(from, to)`, with a record of
//! which edges were ever written: most of a session's `roles²` edges are
//! never used by its protocol, and exploration copies and encodes a
//! session once per transition, so it skips the edges still as allocated.

use crate::session::Edge;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Who allocated a table: tables with the same origin (clones of one
/// session) have identical unwritten edges. Compared by address, and both
/// tables compared hold theirs, so two live origins never share one.
#[derive(Debug)]
pub(crate) struct TableOrigin;

/// The edges of a session, indexed `from * width + to`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct EdgeTable {
    edges: Vec<Edge>,
    /// Bit `i` set once edge `i` was handed out for writing. Empty when
    /// unknown (a restored checkpoint): then every edge counts as written.
    #[serde(skip)]
    written: Vec<u64>,
    #[serde(skip)]
    origin: Option<Arc<TableOrigin>>,
}

impl EdgeTable {
    /// A table of freshly allocated edges.
    pub(crate) fn new(edges: Vec<Edge>) -> Self {
        EdgeTable {
            written: vec![0; edges.len().div_ceil(64)],
            edges,
            origin: Some(Arc::new(TableOrigin)),
        }
    }

    /// Every edge, for reading.
    #[inline]
    pub(crate) fn all(&self) -> &[Edge] {
        &self.edges
    }

    /// The number of edges.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.edges.len()
    }

    /// Edge `i` for reading.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&Edge> {
        self.edges.get(i)
    }

    /// Edge `i` for writing (recorded as written).
    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut Edge> {
        if let Some(word) = self.written.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
        self.edges.get_mut(i)
    }

    /// Every edge for writing (all recorded as written).
    pub(crate) fn all_mut(&mut self) -> &mut [Edge] {
        self.written.fill(u64::MAX);
        &mut self.edges
    }

    /// The indices of the edges that may differ from how they were
    /// allocated, in order (every index when that is unknown).
    pub(crate) fn written_indices(&self) -> impl Iterator<Item = usize> + '_ {
        let known = self.written.len() == self.edges.len().div_ceil(64);
        let all = (!known).then_some(0..self.edges.len());
        let marked = known.then(|| {
            self.written.iter().enumerate().flat_map(|(w, &word)| {
                let mut rest = word;
                std::iter::from_fn(move || {
                    (rest != 0).then(|| {
                        let i = w * 64 + rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        i
                    })
                })
            })
        });
        all.into_iter()
            .flatten()
            .chain(marked.into_iter().flatten())
            .filter(move |&i| i < self.edges.len())
    }

    /// Removes the last edge (tests corrupt tables this way).
    #[cfg(test)]
    pub(crate) fn pop(&mut self) -> Option<Edge> {
        self.edges.pop()
    }
}

impl std::ops::Index<usize> for EdgeTable {
    type Output = Edge;

    #[inline]
    fn index(&self, i: usize) -> &Edge {
        &self.edges[i]
    }
}

impl std::ops::IndexMut<usize> for EdgeTable {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut Edge {
        if let Some(word) = self.written.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
        &mut self.edges[i]
    }
}

impl Clone for EdgeTable {
    fn clone(&self) -> Self {
        EdgeTable {
            edges: self.edges.clone(),
            written: self.written.clone(),
            origin: self.origin.clone(),
        }
    }

    /// Copies only the edges written in either table when both come from
    /// one allocation (the others are as allocated in both).
    fn clone_from(&mut self, source: &Self) {
        let words = source.edges.len().div_ceil(64);
        let same_origin = match (&self.origin, &source.origin) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if same_origin
            && self.edges.len() == source.edges.len()
            && self.written.len() == words
            && source.written.len() == words
        {
            for (w, (mine, theirs)) in self.written.iter().zip(&source.written).enumerate() {
                let mut either = mine | theirs;
                while either != 0 {
                    let i = w * 64 + either.trailing_zeros() as usize;
                    either &= either - 1;
                    self.edges[i].clone_from(&source.edges[i]);
                }
            }
            self.written.copy_from_slice(&source.written);
        } else {
            self.edges.clone_from(&source.edges);
            self.written.clone_from(&source.written);
            self.origin.clone_from(&source.origin);
        }
    }
}
