//! Hash-consed supertype terms `A[...]` for asynchronous subtyping: a finite
//! tree of actions the supertype still owes (its context), whose leaves are
//! states of the supertype's machine.
//!
//! Equal terms get equal ids, so pairs `(subtype state, term)` hash and
//! compare in constant time.

use super::machine::{ActionClass, ClassSet};
use std::collections::HashMap;

/// The id of an interned term.
pub(crate) type TermId = u32;

/// The shape of one term node.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) enum Term {
    /// The supertype continues from this machine state.
    Leaf(usize),
    /// The supertype still owes the action of this machine state; the
    /// children follow the state's branches in order.
    Pending {
        /// The machine state whose action is pending.
        state: usize,
        /// One subterm per branch of that state.
        children: Box<[TermId]>,
    },
}

/// What is known about an interned term.
struct TermInfo {
    term: Term,
    /// Number of pending nodes in the tree (shared subtrees counted each time).
    size: usize,
    /// Classes of the pending actions in the tree.
    classes: ClassSet,
    /// The class of the root when it is pending.
    root_class: Option<ActionClass>,
}

/// The interning table for terms.
pub(crate) struct TermStore {
    infos: Vec<TermInfo>,
    index: HashMap<Term, TermId>,
    class_count: usize,
}

impl TermStore {
    /// An empty store for machines with `class_count` action classes.
    pub(crate) fn new(class_count: usize) -> Self {
        TermStore {
            infos: Vec::new(),
            index: HashMap::new(),
            class_count,
        }
    }

    /// The id of a leaf term.
    pub(crate) fn leaf(&mut self, state: usize) -> TermId {
        self.intern(Term::Leaf(state), None)
    }

    /// The id of a pending node of `class` over `children`.
    pub(crate) fn pending(
        &mut self,
        state: usize,
        class: ActionClass,
        children: Box<[TermId]>,
    ) -> TermId {
        self.intern(Term::Pending { state, children }, Some(class))
    }

    fn intern(&mut self, term: Term, root_class: Option<ActionClass>) -> TermId {
        if let Some(&id) = self.index.get(&term) {
            return id;
        }
        let mut classes = ClassSet::empty(self.class_count);
        let mut size = 0usize;
        if let (Term::Pending { children, .. }, Some(class)) = (&term, root_class) {
            classes.insert(class);
            size = 1;
            for &child in children.iter() {
                let info = &self.infos[child as usize];
                size = size.saturating_add(info.size);
                classes.union_with(&info.classes);
            }
        }
        let id = TermId::try_from(self.infos.len()).unwrap_or(TermId::MAX);
        self.infos.push(TermInfo {
            term: term.clone(),
            size,
            classes,
            root_class,
        });
        self.index.insert(term, id);
        id
    }

    /// The shape of a term.
    pub(crate) fn term(&self, id: TermId) -> &Term {
        &self.infos[id as usize].term
    }

    /// How many pending actions the term holds.
    pub(crate) fn size(&self, id: TermId) -> usize {
        self.infos[id as usize].size
    }

    /// The classes of the term's pending actions.
    pub(crate) fn classes(&self, id: TermId) -> &ClassSet {
        &self.infos[id as usize].classes
    }

    /// The class of the term's root when it is a pending node.
    pub(crate) fn root_class(&self, id: TermId) -> Option<ActionClass> {
        self.infos[id as usize].root_class
    }
}
