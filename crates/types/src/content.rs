//! Content addressing: SHA-256 ids of alpha-normalised, branch-sorted types.
//!
//! The canonical form replaces bound recursion variables by de Bruijn
//! indices and orders the branches of every choice by label, so
//! alpha-equivalent types (and types that list the same branches in another
//! order) share an id, while any difference in a role, label, sort or
//! structure changes it. The form is encoded with postcard, prefixed by a
//! domain tag, and hashed.
//!
//! ```
//! use telltale_types::{GlobalType, Label};
//! let a = GlobalType::rec("x", GlobalType::send("A", "B", Label::unit("m"), GlobalType::var("x")));
//! let b = GlobalType::rec("y", GlobalType::send("A", "B", Label::unit("m"), GlobalType::var("y")));
//! assert_eq!(a.content_id().unwrap(), b.content_id().unwrap());
//! ```

use crate::error::TypesError;
use crate::global::{Branch, GlobalType};
use crate::local::LocalType;
use crate::stack::with_headroom;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;

/// The content address of a closed type: SHA-256 of its canonical form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentId([u8; 32]);

/// The content address of an open type, including its free-variable interface.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct TemplateId(pub ContentId);

impl ContentId {
    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// An id from a raw digest (`const`, so generated code can embed one).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        ContentId(bytes)
    }

    /// The first 12 hex digits, for summaries.
    pub fn short(&self) -> String {
        self.to_string()[..12].to_string()
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId({self})")
    }
}

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ContentId {
    type Err = TypesError;

    fn from_str(text: &str) -> Result<Self, TypesError> {
        let bad = || TypesError::InvalidContentId(text.to_string());
        if text.len() != 64 || !text.is_ascii() {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(ContentId(bytes))
    }
}

impl Serialize for ContentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ContentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Domain tags keep ids of different kinds of term apart.
const GLOBAL_TAG: &[u8] = b"telltale.global.v1";
const LOCAL_TAG: &[u8] = b"telltale.local.v1";
const GLOBAL_TEMPLATE_TAG: &[u8] = b"telltale.global.template.v1";
const LOCAL_TEMPLATE_TAG: &[u8] = b"telltale.local.template.v1";

/// One token of the canonical pre-order encoding.
#[derive(Serialize)]
enum Token<'a> {
    Comm {
        sender: &'a str,
        receiver: &'a str,
        branches: u32,
    },
    Send {
        partner: &'a str,
        branches: u32,
    },
    Recv {
        partner: &'a str,
        branches: u32,
    },
    /// Followed by the label's sort (see `PayloadSort::write_canonical`).
    Label {
        name: &'a str,
    },
    Rec,
    Bound(u32),
    Free(&'a str),
    End,
}

/// The shape shared by global and local types, as the encoder sees it.
trait Canonical: Sized {
    /// The head token of this node (for communications), or a binder/leaf.
    fn head(&self) -> Head<'_, Self>;
}

enum Head<'a, T> {
    Comm(Token<'a>, &'a [Branch<T>]),
    Rec(&'a str, &'a T),
    Var(&'a str),
    End,
}

impl Canonical for GlobalType {
    fn head(&self) -> Head<'_, Self> {
        match self {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => Head::Comm(
                Token::Comm {
                    sender: sender.as_str(),
                    receiver: receiver.as_str(),
                    branches: count(branches),
                },
                branches,
            ),
            GlobalType::Rec { var, body } => Head::Rec(var, body),
            GlobalType::Var(v) => Head::Var(v),
            GlobalType::End => Head::End,
        }
    }
}

impl Canonical for LocalType {
    fn head(&self) -> Head<'_, Self> {
        match self {
            LocalType::Send { partner, branches } => Head::Comm(
                Token::Send {
                    partner: partner.as_str(),
                    branches: count(branches),
                },
                branches,
            ),
            LocalType::Recv { partner, branches } => Head::Comm(
                Token::Recv {
                    partner: partner.as_str(),
                    branches: count(branches),
                },
                branches,
            ),
            LocalType::Rec { var, body } => Head::Rec(var, body),
            LocalType::Var(v) => Head::Var(v),
            LocalType::End => Head::End,
        }
    }
}

fn count<T>(branches: &[T]) -> u32 {
    u32::try_from(branches.len()).unwrap_or(u32::MAX)
}

/// Writes the canonical encoding of a term, tracking binders and free variables.
struct Encoder<'a> {
    binders: Vec<&'a str>,
    free: BTreeSet<&'a str>,
}

impl<'a> Encoder<'a> {
    fn token(&self, token: &Token<'_>, out: &mut Vec<u8>) -> Result<(), TypesError> {
        let bytes =
            postcard::to_allocvec(token).map_err(|e| TypesError::Encoding(e.to_string()))?;
        out.extend_from_slice(&bytes);
        Ok(())
    }

    fn encode<T: Canonical>(&mut self, term: &'a T, out: &mut Vec<u8>) -> Result<(), TypesError> {
        with_headroom(|| match term.head() {
            Head::Comm(token, branches) => {
                self.token(&token, out)?;
                if let [only] = branches {
                    return self.encode_branch(only, out);
                }
                let mut encoded = Vec::with_capacity(branches.len());
                for b in branches {
                    let mut bytes = Vec::new();
                    self.encode_branch(b, &mut bytes)?;
                    encoded.push((&b.label, bytes));
                }
                encoded.sort_by(|(l1, b1), (l2, b2)| {
                    (&*l1.name, &l1.sort, b1).cmp(&(&*l2.name, &l2.sort, b2))
                });
                for (_, bytes) in encoded {
                    out.extend_from_slice(&bytes);
                }
                Ok(())
            }
            Head::Rec(var, body) => {
                self.token(&Token::Rec, out)?;
                self.binders.push(var);
                let result = self.encode(body, out);
                self.binders.pop();
                result
            }
            Head::Var(name) => match self.binders.iter().rev().position(|b| *b == name) {
                Some(index) => self.token(&Token::Bound(count_index(index)), out),
                None => {
                    self.free.insert(name);
                    self.token(&Token::Free(name), out)
                }
            },
            Head::End => self.token(&Token::End, out),
        })
    }

    fn encode_branch<T: Canonical>(
        &mut self,
        b: &'a Branch<T>,
        out: &mut Vec<u8>,
    ) -> Result<(), TypesError> {
        self.token(
            &Token::Label {
                name: &b.label.name,
            },
            out,
        )?;
        b.label.sort.write_canonical(out);
        self.encode(&b.continuation, out)
    }
}

fn count_index(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Canonical bytes of a term and its free variables (sorted).
fn canonical<T: Canonical>(term: &T) -> Result<(Vec<u8>, Vec<String>), TypesError> {
    let mut encoder = Encoder {
        binders: Vec::new(),
        free: BTreeSet::new(),
    };
    let mut out = Vec::new();
    encoder.encode(term, &mut out)?;
    let free = encoder.free.into_iter().map(str::to_string).collect();
    Ok((out, free))
}

pub(crate) fn digest(tag: &[u8], interface: &[String], body: &[u8]) -> ContentId {
    let mut hasher = Sha256::new();
    hasher.update((tag.len() as u64).to_le_bytes());
    hasher.update(tag);
    hasher.update((interface.len() as u64).to_le_bytes());
    for name in interface {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
    }
    hasher.update(body);
    ContentId(hasher.finalize().into())
}

fn content_id_of<T: Canonical>(term: &T, tag: &[u8]) -> Result<ContentId, TypesError> {
    let (bytes, free) = canonical(term)?;
    if !free.is_empty() {
        return Err(TypesError::OpenTerm { free });
    }
    Ok(digest(tag, &[], &bytes))
}

fn template_id_of<T: Canonical>(term: &T, tag: &[u8]) -> Result<TemplateId, TypesError> {
    let (bytes, free) = canonical(term)?;
    Ok(TemplateId(digest(tag, &free, &bytes)))
}

impl GlobalType {
    /// The content id of a closed global type; an open one is refused.
    pub fn content_id(&self) -> Result<ContentId, TypesError> {
        content_id_of(self, GLOBAL_TAG)
    }

    /// The template id of any global type: its free-variable interface
    /// (the free variable names) and its canonical form.
    pub fn template_id(&self) -> Result<TemplateId, TypesError> {
        template_id_of(self, GLOBAL_TEMPLATE_TAG)
    }

    /// The canonical binary encoding that content ids hash.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, TypesError> {
        canonical(self).map(|(bytes, _)| bytes)
    }
}

impl LocalType {
    /// The content id of a closed local type; an open one is refused.
    pub fn content_id(&self) -> Result<ContentId, TypesError> {
        content_id_of(self, LOCAL_TAG)
    }

    /// The template id of any local type, including its free variables.
    pub fn template_id(&self) -> Result<TemplateId, TypesError> {
        template_id_of(self, LOCAL_TEMPLATE_TAG)
    }

    /// The canonical binary encoding that content ids hash.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, TypesError> {
        canonical(self).map(|(bytes, _)| bytes)
    }
}

/// A cache of values keyed by content id, e.g. memoised projections.
///
/// With a capacity limit, the oldest entry is evicted first, so memory
/// stays bounded however many distinct types pass through.
#[derive(Debug, Clone)]
pub struct ContentStore<V> {
    entries: HashMap<ContentId, V>,
    order: VecDeque<ContentId>,
    capacity: Option<usize>,
}

impl<V> Default for ContentStore<V> {
    fn default() -> Self {
        ContentStore::new()
    }
}

impl<V> ContentStore<V> {
    /// An unbounded store.
    pub fn new() -> Self {
        ContentStore {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity: None,
        }
    }

    /// A store holding at most `capacity` entries (at least one).
    pub fn with_capacity_limit(capacity: usize) -> Self {
        ContentStore {
            capacity: Some(capacity.max(1)),
            ..ContentStore::new()
        }
    }

    /// The value stored for `id`.
    pub fn get(&self, id: &ContentId) -> Option<&V> {
        self.entries.get(id)
    }

    /// Whether a value is stored for `id`.
    pub fn contains(&self, id: &ContentId) -> bool {
        self.entries.contains_key(id)
    }

    /// Stores `value` under `id`, returning the value it replaced.
    pub fn insert(&mut self, id: ContentId, value: V) -> Option<V> {
        let previous = self.entries.insert(id, value);
        if previous.is_none() {
            self.order.push_back(id);
            self.evict();
        }
        previous
    }

    /// The value for `id`, computing and storing it first if absent.
    pub fn get_or_insert_with(&mut self, id: ContentId, make: impl FnOnce() -> V) -> &V {
        if !self.entries.contains_key(&id) {
            self.insert(id, make());
        }
        match self.entries.get(&id) {
            Some(v) => v,
            None => unreachable!("entry inserted just above cannot be evicted (capacity >= 1)"),
        }
    }

    /// Number of stored values.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    fn evict(&mut self) {
        let Some(capacity) = self.capacity else {
            return;
        };
        while self.entries.len() > capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sort::PayloadSort;
    use crate::Label;

    fn loop_type(var: &str, first: &str, second: &str) -> GlobalType {
        GlobalType::rec(
            var,
            GlobalType::choice(
                "A",
                "B",
                [
                    (Label::unit(first), GlobalType::var(var)),
                    (Label::unit(second), GlobalType::End),
                ],
            ),
        )
    }

    #[test]
    fn alpha_equivalent_and_reordered_types_share_an_id() {
        let a = loop_type("x", "more", "stop");
        let b = loop_type("y", "more", "stop");
        let c = GlobalType::rec(
            "z",
            GlobalType::choice(
                "A",
                "B",
                [
                    (Label::unit("stop"), GlobalType::End),
                    (Label::unit("more"), GlobalType::var("z")),
                ],
            ),
        );
        let id = a.content_id().expect("closed");
        assert_eq!(b.content_id().expect("closed"), id);
        assert_eq!(c.content_id().expect("closed"), id);
    }

    #[test]
    fn real_differences_change_the_id() {
        let base = loop_type("x", "more", "stop").content_id().expect("closed");
        let other_label = loop_type("x", "more", "halt").content_id().expect("closed");
        assert_ne!(base, other_label);
        let swapped = GlobalType::send("B", "A", Label::unit("m"), GlobalType::End);
        let original = GlobalType::send("A", "B", Label::unit("m"), GlobalType::End);
        assert_ne!(
            swapped.content_id().unwrap(),
            original.content_id().unwrap()
        );
        let typed = GlobalType::send("A", "B", Label::new("m", PayloadSort::Int), GlobalType::End);
        assert_ne!(typed.content_id().unwrap(), original.content_id().unwrap());
    }

    #[test]
    fn global_and_local_ids_never_collide() {
        assert_ne!(
            GlobalType::End.content_id().unwrap(),
            LocalType::End.content_id().unwrap()
        );
    }

    #[test]
    fn open_terms_have_template_ids_only() {
        let open = GlobalType::send("A", "B", Label::unit("m"), GlobalType::var("k"));
        assert_eq!(
            open.content_id(),
            Err(TypesError::OpenTerm {
                free: vec!["k".into()]
            })
        );
        let other = GlobalType::send("A", "B", Label::unit("m"), GlobalType::var("j"));
        assert_ne!(open.template_id().unwrap(), other.template_id().unwrap());
    }

    #[test]
    fn ids_print_and_parse_as_hex() {
        let id = GlobalType::End.content_id().unwrap();
        let text = id.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<ContentId>().unwrap(), id);
        assert!("xyz".parse::<ContentId>().is_err());
        assert!("zz".repeat(32).parse::<ContentId>().is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<ContentId>(&json).unwrap(), id);
    }

    #[test]
    fn store_is_bounded() {
        let mut store = ContentStore::with_capacity_limit(2);
        let ids: Vec<ContentId> = (0..3u8).map(|i| ContentId::from_bytes([i; 32])).collect();
        for (i, id) in ids.iter().enumerate() {
            store.insert(*id, i);
        }
        assert_eq!(store.len(), 2);
        assert!(!store.contains(&ids[0]));
        assert_eq!(*store.get_or_insert_with(ids[0], || 9), 9);
        assert_eq!(store.len(), 2);
    }
}
