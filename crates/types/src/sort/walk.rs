//! Iterative walks over payload sorts.
//!
//! A sort is a tree, and a hostile input can make it arbitrarily deep, so
//! the everyday traits (`Clone`, `PartialEq`, `Ord`, `Hash`, `Display`,
//! `Drop`) walk it with an explicit stack instead of recursing. Comparison,
//! hashing and printing share one pre-order token stream; `Debug` keeps the
//! derived layout and grows the stack instead.

use super::PayloadSort;
use crate::stack::with_headroom;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::slice;

/// One step of the pre-order walk of a sort.
///
/// The variant order makes the lexicographic order of token streams the
/// order a derived `Ord` would give: `Close` (the end of a list) sorts
/// before any element, so a shorter list sorts first, and the sort cases
/// come in declaration order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Token<'a> {
    Close,
    Unit,
    Bool,
    Nat,
    Int,
    Real,
    String,
    Bytes,
    Named(&'a str),
    Product,
    Record,
    Field(&'a str),
}

/// Work left in the walk: a sort to open, or the rest of a list.
enum Pending<'a> {
    Sort(&'a PayloadSort),
    Items(slice::Iter<'a, PayloadSort>),
    Fields(slice::Iter<'a, (String, PayloadSort)>),
}

/// The pre-order token stream of a sort.
///
/// The root is held apart from the stack, so walking a leaf sort (the
/// common case: comparing and hashing labels on hot paths) allocates
/// nothing; only products and records push onto the stack.
struct Tokens<'a> {
    root: Option<&'a PayloadSort>,
    stack: Vec<Pending<'a>>,
}

impl<'a> Tokens<'a> {
    fn new(sort: &'a PayloadSort) -> Self {
        Tokens {
            root: Some(sort),
            stack: Vec::new(),
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let pending = match self.root.take() {
            Some(root) => Pending::Sort(root),
            None => self.stack.pop()?,
        };
        let sort = match pending {
            Pending::Sort(sort) => sort,
            Pending::Items(mut items) => match items.next() {
                Some(sort) => {
                    self.stack.push(Pending::Items(items));
                    sort
                }
                None => return Some(Token::Close),
            },
            Pending::Fields(mut fields) => {
                return Some(match fields.next() {
                    Some((name, sort)) => {
                        self.stack.push(Pending::Fields(fields));
                        self.stack.push(Pending::Sort(sort));
                        Token::Field(name)
                    }
                    None => Token::Close,
                })
            }
        };
        Some(match sort {
            PayloadSort::Unit => Token::Unit,
            PayloadSort::Bool => Token::Bool,
            PayloadSort::Nat => Token::Nat,
            PayloadSort::Int => Token::Int,
            PayloadSort::Real => Token::Real,
            PayloadSort::String => Token::String,
            PayloadSort::Bytes => Token::Bytes,
            PayloadSort::Named(path) => Token::Named(path),
            PayloadSort::Product(items) => {
                self.stack.push(Pending::Items(items.iter()));
                Token::Product
            }
            PayloadSort::Record(fields) => {
                self.stack.push(Pending::Fields(fields.iter()));
                Token::Record
            }
        })
    }
}

impl PartialEq for PayloadSort {
    fn eq(&self, other: &Self) -> bool {
        Tokens::new(self).eq(Tokens::new(other))
    }
}

impl Eq for PayloadSort {}

impl PartialOrd for PayloadSort {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PayloadSort {
    fn cmp(&self, other: &Self) -> Ordering {
        Tokens::new(self).cmp(Tokens::new(other))
    }
}

impl Hash for PayloadSort {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for token in Tokens::new(self) {
            token.hash(state);
        }
    }
}

/// Products print as `(a, b)`, records as `{ x: a, y: b }`.
impl fmt::Display for PayloadSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // For each open product or record: is it a record, and has it an
        // element yet (so the next one needs a separator)?
        let mut open: Vec<(bool, bool)> = Vec::new();
        for token in Tokens::new(self) {
            // An element is a field in a record and a whole sort in a product.
            let starts_element = |is_record: bool| match token {
                Token::Close => false,
                Token::Field(_) => true,
                _ => !is_record,
            };
            if let Some((is_record, started)) = open.last_mut() {
                if starts_element(*is_record) {
                    if *started {
                        f.write_str(", ")?;
                    }
                    *started = true;
                }
            }
            match token {
                Token::Close => {
                    let (is_record, _) = open.pop().unwrap_or((false, false));
                    f.write_str(if is_record { " }" } else { ")" })?;
                }
                Token::Unit => f.write_str("unit")?,
                Token::Bool => f.write_str("bool")?,
                Token::Nat => f.write_str("nat")?,
                Token::Int => f.write_str("int")?,
                Token::Real => f.write_str("real")?,
                Token::String => f.write_str("string")?,
                Token::Bytes => f.write_str("bytes")?,
                Token::Named(path) => f.write_str(path)?,
                Token::Product => {
                    open.push((false, false));
                    f.write_str("(")?;
                }
                Token::Record => {
                    open.push((true, false));
                    f.write_str("{ ")?;
                }
                Token::Field(name) => write!(f, "{name}: ")?,
            }
        }
        Ok(())
    }
}

/// The derived layout (`Product([Int, Named("a.B")])`), growing the stack
/// as it goes deeper.
impl fmt::Debug for PayloadSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_headroom(|| match self {
            PayloadSort::Unit => f.write_str("Unit"),
            PayloadSort::Bool => f.write_str("Bool"),
            PayloadSort::Nat => f.write_str("Nat"),
            PayloadSort::Int => f.write_str("Int"),
            PayloadSort::Real => f.write_str("Real"),
            PayloadSort::String => f.write_str("String"),
            PayloadSort::Bytes => f.write_str("Bytes"),
            PayloadSort::Named(path) => f.debug_tuple("Named").field(path).finish(),
            PayloadSort::Product(items) => f.debug_tuple("Product").field(items).finish(),
            PayloadSort::Record(fields) => f.debug_tuple("Record").field(fields).finish(),
        })
    }
}

/// A product or record being copied: the originals left to copy and the
/// copies made so far.
enum CloneFrame<'a> {
    Product(slice::Iter<'a, PayloadSort>, Vec<PayloadSort>),
    Record(
        slice::Iter<'a, (String, PayloadSort)>,
        Vec<(String, PayloadSort)>,
        String,
    ),
}

impl<'a> CloneFrame<'a> {
    /// Takes the copy of the element asked for last.
    fn push(&mut self, copy: PayloadSort) {
        match self {
            CloneFrame::Product(_, done) => done.push(copy),
            CloneFrame::Record(_, done, name) => done.push((std::mem::take(name), copy)),
        }
    }

    /// The next element to copy, if any.
    fn next_child(&mut self) -> Option<&'a PayloadSort> {
        match self {
            CloneFrame::Product(rest, _) => rest.next(),
            CloneFrame::Record(rest, _, name) => rest.next().map(|(field, sort)| {
                name.clone_from(field);
                sort
            }),
        }
    }

    fn finish(self) -> PayloadSort {
        match self {
            CloneFrame::Product(_, done) => PayloadSort::Product(done),
            CloneFrame::Record(_, done, _) => PayloadSort::Record(done),
        }
    }
}

impl Clone for PayloadSort {
    fn clone(&self) -> Self {
        let mut frames: Vec<CloneFrame<'_>> = Vec::new();
        let mut next = self;
        loop {
            let mut copied = match next {
                PayloadSort::Product(items) => {
                    let done = Vec::with_capacity(items.len());
                    frames.push(CloneFrame::Product(items.iter(), done));
                    None
                }
                PayloadSort::Record(fields) => {
                    let done = Vec::with_capacity(fields.len());
                    frames.push(CloneFrame::Record(fields.iter(), done, String::new()));
                    None
                }
                PayloadSort::Unit => Some(PayloadSort::Unit),
                PayloadSort::Bool => Some(PayloadSort::Bool),
                PayloadSort::Nat => Some(PayloadSort::Nat),
                PayloadSort::Int => Some(PayloadSort::Int),
                PayloadSort::Real => Some(PayloadSort::Real),
                PayloadSort::String => Some(PayloadSort::String),
                PayloadSort::Bytes => Some(PayloadSort::Bytes),
                PayloadSort::Named(path) => Some(PayloadSort::Named(path.clone())),
            };
            // Hand finished copies up until some frame has an element left.
            loop {
                let Some(frame) = frames.last_mut() else {
                    // The root is finished: a leaf, or its frame just closed.
                    return copied.unwrap_or(PayloadSort::Unit);
                };
                if let Some(copy) = copied.take() {
                    frame.push(copy);
                }
                if let Some(child) = frame.next_child() {
                    next = child;
                    break;
                }
                copied = frames.pop().map(CloneFrame::finish);
            }
        }
    }
}

impl PayloadSort {
    /// Moves the direct sub-sorts into `out`, leaving empty lists behind.
    fn detach_children(&mut self, out: &mut Vec<PayloadSort>) {
        let composite =
            |s: &PayloadSort| matches!(s, PayloadSort::Product(_) | PayloadSort::Record(_));
        match self {
            PayloadSort::Product(items) => out.extend(items.drain(..).filter(composite)),
            PayloadSort::Record(fields) => {
                out.extend(fields.drain(..).map(|(_, s)| s).filter(composite))
            }
            _ => {}
        }
    }
}

impl Drop for PayloadSort {
    /// Drops iteratively so that arbitrarily deep sorts free without recursion.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.detach_children(&mut pending);
        while let Some(mut sort) = pending.pop() {
            sort.detach_children(&mut pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    /// A product nested `depth` deep around a record field.
    fn deep(depth: usize) -> PayloadSort {
        let mut sort = PayloadSort::Record(vec![("x".into(), PayloadSort::Int)]);
        for _ in 0..depth {
            sort = PayloadSort::Product(vec![sort]);
        }
        sort
    }

    fn hash_of(sort: &PayloadSort) -> u64 {
        let mut hasher = DefaultHasher::new();
        sort.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn a_sort_a_million_deep_is_cloned_compared_hashed_printed_and_dropped() {
        let depth = 1_000_000;
        let sort = deep(depth);
        let copy = sort.clone();
        assert_eq!(copy, sort);
        assert_eq!(hash_of(&copy), hash_of(&sort));
        let other = deep(depth - 1);
        assert_ne!(other, sort);
        // They differ at the innermost level, where a record sorts after a product.
        assert_eq!(other.cmp(&sort), Ordering::Greater);
        let text = sort.to_string();
        assert_eq!(text.len(), 2 * depth + "{ x: int }".len());
        assert!(text.starts_with("(((") && text.ends_with(")))"));
        assert!(text[depth..].starts_with("{ x: int })"));
        drop((sort, copy, other));
    }

    #[test]
    fn display_separates_elements_and_fields() {
        let sort = PayloadSort::Record(vec![
            (
                "a".into(),
                PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Bool]),
            ),
            ("b".into(), PayloadSort::Record(vec![])),
            ("c".into(), PayloadSort::Product(vec![])),
        ]);
        assert_eq!(sort.to_string(), "{ a: (int, bool), b: {  }, c: () }");
    }

    #[test]
    fn debug_keeps_the_derived_layout() {
        let sort = PayloadSort::Product(vec![
            PayloadSort::Int,
            PayloadSort::Record(vec![("a".into(), PayloadSort::Named("x.Y".into()))]),
        ]);
        assert_eq!(
            format!("{sort:?}"),
            r#"Product([Int, Record([("a", Named("x.Y"))])])"#
        );
    }

    /// The order a derived `Ord` gives, written recursively, as the oracle.
    fn derived_cmp(a: &PayloadSort, b: &PayloadSort) -> Ordering {
        fn rank(s: &PayloadSort) -> u8 {
            match s {
                PayloadSort::Unit => 0,
                PayloadSort::Bool => 1,
                PayloadSort::Nat => 2,
                PayloadSort::Int => 3,
                PayloadSort::Real => 4,
                PayloadSort::String => 5,
                PayloadSort::Bytes => 6,
                PayloadSort::Named(_) => 7,
                PayloadSort::Product(_) => 8,
                PayloadSort::Record(_) => 9,
            }
        }
        match (a, b) {
            (PayloadSort::Named(x), PayloadSort::Named(y)) => x.cmp(y),
            (PayloadSort::Product(x), PayloadSort::Product(y)) => x
                .iter()
                .zip(y)
                .map(|(p, q)| derived_cmp(p, q))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| x.len().cmp(&y.len())),
            (PayloadSort::Record(x), PayloadSort::Record(y)) => x
                .iter()
                .zip(y)
                .map(|((n, p), (m, q))| n.cmp(m).then_with(|| derived_cmp(p, q)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| x.len().cmp(&y.len())),
            _ => rank(a).cmp(&rank(b)),
        }
    }

    fn any_sort() -> impl Strategy<Value = PayloadSort> {
        let leaf = prop_oneof![
            Just(PayloadSort::Unit),
            Just(PayloadSort::Int),
            Just(PayloadSort::Bytes),
            "[ab]".prop_map(PayloadSort::Named),
        ];
        leaf.prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(PayloadSort::Product),
                prop::collection::vec(("[ab]", inner), 0..3).prop_map(PayloadSort::Record),
            ]
        })
    }

    proptest! {
        #[test]
        fn order_is_the_derived_order(a in any_sort(), b in any_sort()) {
            prop_assert_eq!(a.cmp(&b), derived_cmp(&a, &b));
            prop_assert_eq!(a == b, derived_cmp(&a, &b).is_eq());
            if a == b {
                prop_assert_eq!(hash_of(&a), hash_of(&b));
            }
        }

        #[test]
        fn clone_is_equal(a in any_sort()) {
            let copy = a.clone();
            prop_assert_eq!(format!("{copy:?}"), format!("{a:?}"));
        }
    }
}
