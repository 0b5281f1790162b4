//! A vector that records which elements were handed out for writing, so
//! that copying one machine state over another (`clone_from`, which the
//! explorer does once per transition) can copy only what differs.
//!
//! Every write goes through this type (it has no `DerefMut`), which keeps
//! two records: the elements ever written (an element never written is as
//! it was created, the same in every table of one origin), and the
//! elements written since the table was last made a copy of another. A
//! table that was made a copy of `source` and that `source` has not been
//! written since (its version is unchanged) differs from it only in the
//! elements written since: `clone_from` copies just those.
//!
//! Each element also carries a *stamp*, fresh at every write (0: never
//! written). Stamps are never reused, so two tables of one origin whose
//! elements at `i` have one stamp hold copies of one write there: a
//! `clone_from` between two copies not made of each other (the explorer's
//! scratch state, moving on to the next state of a level) skips those.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Who created a table: tables of one origin (copies of one table) have
/// identical elements where none was written. Compared by address, and
/// both tables compared hold theirs, so two live origins never share one.
#[derive(Debug)]
pub(crate) struct TableOrigin;

/// Names every table (never reused), so that a copy knows which table it
/// was made from.
static NEXT_TABLE: AtomicU64 = AtomicU64::new(1);

fn next_table() -> u64 {
    NEXT_TABLE.fetch_add(1, Ordering::Relaxed)
}

/// A stamp is a table's name above this many bits of its version: a table
/// takes a new name when those bits wrap, so no stamp is given twice.
const STAMP_VERSION_BITS: u32 = 24;

/// A vector whose writes are recorded.
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct TrackedVec<T> {
    items: Vec<T>,
    /// Bit `i` set once element `i` was handed out for writing. Shorter
    /// than the elements need when unknown (a restored checkpoint): then
    /// every element counts as written.
    #[serde(skip)]
    written: Vec<u64>,
    /// Bit `i` set once element `i` was handed out for writing since this
    /// table was last made a copy of another.
    #[serde(skip)]
    touched: Vec<u64>,
    #[serde(skip)]
    origin: Option<Arc<TableOrigin>>,
    /// This table's name (0: none, a restored table).
    #[serde(skip)]
    name: u64,
    /// Counts this table's writes.
    #[serde(skip)]
    version: u64,
    /// Per element, the stamp of its last write (0: never written); empty
    /// when unknown (a restored checkpoint).
    #[serde(skip)]
    stamps: Vec<u64>,
    /// The name and version of the table this one was last made a copy of.
    #[serde(skip)]
    copy_of: Option<(u64, u64)>,
}

impl<T> Default for TrackedVec<T> {
    fn default() -> Self {
        TrackedVec::new(Vec::new())
    }
}

impl<T> TrackedVec<T> {
    /// A table of freshly created elements (none counts as written).
    pub(crate) fn new(items: Vec<T>) -> Self {
        let words = items.len().div_ceil(64);
        TrackedVec {
            stamps: vec![0; items.len()],
            items,
            written: vec![0; words],
            touched: vec![0; words],
            origin: Some(Arc::new(TableOrigin)),
            name: next_table(),
            version: 0,
            copy_of: None,
        }
    }

    /// Counts a write; returns its stamp.
    #[inline]
    fn bump(&mut self) -> u64 {
        self.version = self.version.wrapping_add(1);
        let low = self.version & ((1 << STAMP_VERSION_BITS) - 1);
        if low == 0 || self.name == 0 {
            self.name = next_table();
            self.version = self.version.wrapping_add(1);
        }
        (self.name << STAMP_VERSION_BITS) | (self.version & ((1 << STAMP_VERSION_BITS) - 1))
    }

    fn words(&self) -> usize {
        self.items.len().div_ceil(64)
    }

    /// Records a write of element `i` (an index past the end writes
    /// nothing).
    #[inline]
    fn mark(&mut self, i: usize) {
        let stamp = self.bump();
        if i >= self.items.len() {
            return;
        }
        if let Some(s) = self.stamps.get_mut(i) {
            *s = stamp;
        }
        if let Some(word) = self.written.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
        if let Some(word) = self.touched.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    /// Element `i` for writing.
    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.mark(i);
        self.items.get_mut(i)
    }

    /// Every element for writing (all recorded as written).
    pub(crate) fn all_mut(&mut self) -> &mut [T] {
        let stamp = self.bump();
        self.stamps.fill(stamp);
        let len = self.items.len();
        for bits in [&mut self.written, &mut self.touched] {
            for (w, word) in bits.iter_mut().enumerate() {
                *word |= existing_bits(len, w);
            }
        }
        &mut self.items
    }

    /// Appends an element (recorded as written).
    pub(crate) fn push(&mut self, item: T) {
        self.items.push(item);
        if self.stamps.len() + 1 == self.items.len() {
            self.stamps.push(0);
        }
        let words = self.words();
        self.written.resize(words, 0);
        self.touched.resize(words, 0);
        self.mark(self.items.len() - 1);
    }

    /// The elements written since this table was made a copy of `source`
    /// (bit `i` of word `i / 64`), if it was and `source` is unchanged
    /// since: every other element equals `source`'s.
    pub(crate) fn touched_since_copy_of(&self, source: &Self) -> Option<&[u64]> {
        let copy = source.name != 0
            && self.copy_of == Some((source.name, source.version))
            && self.items.len() == source.items.len()
            && self.touched.len() == self.words();
        copy.then_some(&self.touched[..])
    }

    /// The elements ever written, with their indices, in order (every
    /// element when that is not known: a restored checkpoint). An element
    /// not listed is as it was created.
    pub(crate) fn written_elements(&self) -> impl Iterator<Item = (usize, &T)> {
        let known = self.written.len() == self.words();
        let len = self.items.len();
        let words = (0..self.words()).map(move |w| match self.written.get(w) {
            Some(word) if known => *word,
            _ => existing_bits(len, w),
        });
        set_bits(words).filter_map(move |i| self.items.get(i).map(|item| (i, item)))
    }
}

/// The bits of word `w` that stand for elements of a table of `len`.
fn existing_bits(len: usize, w: usize) -> u64 {
    let here = len.saturating_sub(w * 64).min(64);
    if here == 64 {
        u64::MAX
    } else {
        (1 << here) - 1
    }
}

/// The indices of the set bits of `words`, in order.
pub(crate) fn set_bits(words: impl Iterator<Item = u64>) -> impl Iterator<Item = usize> {
    words.enumerate().flat_map(|(w, word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let i = w * 64 + rest.trailing_zeros() as usize;
                rest &= rest - 1;
                i
            })
        })
    })
}

impl<T> std::ops::Deref for TrackedVec<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<'a, T> IntoIterator for &'a TrackedVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T> std::ops::Index<usize> for TrackedVec<T> {
    type Output = T;

    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.items[i]
    }
}

impl<T> std::ops::IndexMut<usize> for TrackedVec<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        self.mark(i);
        &mut self.items[i]
    }
}

impl<T: Clone> Clone for TrackedVec<T> {
    fn clone(&self) -> Self {
        let words = self.words();
        TrackedVec {
            items: self.items.clone(),
            written: self.written.clone(),
            touched: vec![0; words],
            origin: self.origin.clone(),
            name: next_table(),
            version: 0,
            stamps: self.stamps.clone(),
            copy_of: (self.name != 0).then_some((self.name, self.version)),
        }
    }

    /// Copies only what may differ: the elements written since this table
    /// was made a copy of `source` if `source` is unchanged since, else
    /// the elements written in either table, unless stamped alike, if both
    /// have one origin, else everything.
    fn clone_from(&mut self, source: &Self) {
        let words = source.words();
        let len = source.items.len();
        let shapes_match = self.items.len() == len
            && self.written.len() == words
            && source.written.len() == words
            && self.touched.len() == words
            && self.stamps.len() == len
            && source.stamps.len() == len;
        let unchanged_source =
            source.name != 0 && self.copy_of == Some((source.name, source.version));
        let same_origin = match (&self.origin, &source.origin) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if shapes_match && (unchanged_source || same_origin) {
            for w in 0..words {
                let mut bits = if unchanged_source {
                    self.touched[w]
                } else {
                    self.written[w] | source.written[w]
                };
                while bits != 0 {
                    let i = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let (Some(to), Some(from)) = (self.items.get_mut(i), source.items.get(i))
                    else {
                        break;
                    };
                    if self.stamps[i] != source.stamps[i] {
                        to.clone_from(from);
                        self.stamps[i] = source.stamps[i];
                    }
                }
            }
            self.written.copy_from_slice(&source.written);
        } else {
            self.items.clone_from(&source.items);
            self.written.clone_from(&source.written);
            self.stamps.clone_from(&source.stamps);
            self.origin.clone_from(&source.origin);
        }
        self.touched.clear();
        self.touched.resize(words, 0);
        self.bump();
        self.copy_of = (source.name != 0).then_some((source.name, source.version));
    }
}

#[cfg(test)]
mod tests {
    use super::TrackedVec;

    fn table(n: usize) -> TrackedVec<u32> {
        TrackedVec::new((0..n as u32).collect())
    }

    #[test]
    fn a_copy_written_again_from_its_unchanged_source_is_equal_to_it() {
        let source = table(70);
        let mut copy = source.clone();
        copy[3] = 99;
        *copy.get_mut(65).unwrap() = 98;
        copy.clone_from(&source);
        assert_eq!(&*copy, &*source);
    }

    #[test]
    fn a_changed_source_is_copied_whole_where_written() {
        let mut source = table(70);
        let mut copy = source.clone();
        copy.clone_from(&source);
        source[10] = 7;
        copy[20] = 8;
        copy.clone_from(&source);
        assert_eq!(&*copy, &*source);
    }

    #[test]
    fn writing_everything_marks_only_elements_that_exist() {
        for n in [0, 1, 49, 64, 65, 81] {
            let source = table(n);
            let mut copy = source.clone();
            for x in copy.all_mut() {
                *x += 1;
            }
            copy.clone_from(&source);
            assert_eq!(&*copy, &*source, "{n} elements");
            let mut other = table(n);
            other.all_mut();
            other.clone_from(&source);
            assert_eq!(&*other, &*source, "{n} elements, another table");
            assert_eq!(other.written_elements().count(), 0);
        }
    }

    /// Counts the elements `clone_from` copies.
    #[derive(Debug, PartialEq)]
    struct Counted(u32);

    static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    impl Clone for Counted {
        fn clone(&self) -> Self {
            Counted(self.0)
        }

        fn clone_from(&mut self, source: &Self) {
            COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.0 = source.0;
        }
    }

    #[test]
    fn copies_between_unrelated_copies_skip_elements_stamped_alike() {
        let mut origin = TrackedVec::new((0..100).map(Counted).collect());
        *origin.get_mut(1).expect("in range") = Counted(101);
        *origin.get_mut(2).expect("in range") = Counted(102);
        let mut a = origin.clone();
        let mut b = origin.clone();
        *a.get_mut(3).expect("in range") = Counted(103);
        *b.get_mut(70).expect("in range") = Counted(170);
        let copies = || COPIES.load(std::sync::atomic::Ordering::Relaxed);
        let before = copies();
        // Written in either: 1, 2, 3 and 70; 1 and 2 are one write.
        b.clone_from(&a);
        assert_eq!(copies() - before, 2);
        assert_eq!(*b, *a);
        // The same elements as `a` now, stamps and all.
        let before = copies();
        let mut c = origin.clone();
        c.clone_from(&b);
        assert_eq!(copies() - before, 1);
        assert_eq!(*c, *a);
    }

    #[test]
    fn a_write_past_the_end_is_nothing() {
        let source = table(5);
        let mut copy = source.clone();
        assert!(copy.get_mut(40).is_none());
        copy.clone_from(&source);
        assert_eq!(&*copy, &*source);
    }
}
