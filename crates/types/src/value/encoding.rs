//! The one serde encoding of values, with its depth guard.
//!
//! A value serialises as an externally tagged enum (variant index in
//! postcard, variant name in JSON). Readers refuse values nested deeper
//! than [`MAX_VALUE_DEPTH`] tuples and records, so a forged checkpoint,
//! image or wire frame cannot exhaust the stack; writers running under
//! [`guard_depth`] (checkpoints, images, frames) refuse them too, so
//! nothing is stored or sent that could not be read back. Outside
//! [`guard_depth`] a value of any depth serialises (payload digests and
//! signatures cover every value), growing the stack as needed. Formats such as postcard drop the
//! text of a custom serde error, so every reader of values runs its decoder
//! under [`guard_depth`], which reports a refused value as the typed
//! [`ValueTooDeep`] naming the limit.

use super::Value;
use crate::sort::watch_depth;
use crate::stack::with_headroom;
use crate::PayloadSort;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use thiserror::Error;

/// The deepest nesting of tuples and records any reader or writer accepts.
pub const MAX_VALUE_DEPTH: u32 = 64;

/// A value nested deeper than [`MAX_VALUE_DEPTH`] was read or written.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error("a payload value is nested deeper than {limit} levels (the limit of telltale_types::value::MAX_VALUE_DEPTH)")]
pub struct ValueTooDeep {
    /// The limit, [`MAX_VALUE_DEPTH`].
    pub limit: u32,
}

/// The outcome of a decoder or encoder run under [`guard_depth`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DepthGuarded<E> {
    /// A value was nested too deep.
    TooDeep(ValueTooDeep),
    /// A payload sort was nested deeper than [`PayloadSort::MAX_DEPTH`]
    /// (the codec's own error text is lost in formats such as postcard).
    SortTooDeep {
        /// The limit, [`PayloadSort::MAX_DEPTH`].
        limit: usize,
    },
    /// The codec failed for another reason.
    Other(E),
}

impl<E: fmt::Display> fmt::Display for DepthGuarded<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DepthGuarded::TooDeep(e) => write!(f, "{e}"),
            DepthGuarded::SortTooDeep { limit } => {
                write!(f, "a payload sort is nested deeper than {limit} levels")
            }
            DepthGuarded::Other(e) => write!(f, "{e}"),
        }
    }
}

/// A typed payload could not be encoded into, or decoded from, bytes.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("codec error ({context}): {message}")]
pub struct ValueCodecError {
    /// What was being encoded or decoded.
    pub context: String,
    /// The underlying codec's message.
    pub message: String,
}

/// The serde mirror that the guarded impls delegate to.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Value")]
enum ValueRepr {
    Unit,
    Bool(bool),
    Nat(u64),
    Int(i64),
    Real(f64),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
    Product(Arc<[Value]>),
    Record(Arc<[(String, Value)]>),
    Endpoint(super::Endpoint),
}

thread_local! {
    /// How many values are being read on this thread, nested.
    static READ_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// How many values are being written on this thread, nested.
    static WRITE_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Whether a value was refused since [`guard_depth`] started.
    static REFUSED: Cell<bool> = const { Cell::new(false) };
    /// How many [`guard_depth`] calls are running on this thread.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// Counts one level of nesting on one counter for as long as it lives.
struct DepthCount(&'static std::thread::LocalKey<Cell<u32>>);

impl DepthCount {
    fn enter(
        counter: &'static std::thread::LocalKey<Cell<u32>>,
    ) -> Result<DepthCount, ValueTooDeep> {
        counter.with(|depth| {
            if depth.get() >= MAX_VALUE_DEPTH {
                REFUSED.with(|refused| refused.set(true));
                Err(ValueTooDeep {
                    limit: MAX_VALUE_DEPTH,
                })
            } else {
                depth.set(depth.get() + 1);
                Ok(DepthCount(counter))
            }
        })
    }
}

impl Drop for DepthCount {
    fn drop(&mut self) {
        self.0
            .with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Under [`guard_depth`] (stored and sent bytes) a value deeper than the
/// limit is refused; elsewhere (payload digests and signatures, which must
/// cover every value) any depth encodes, the stack growing as needed.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if GUARDED.with(Cell::get) == 0 {
            return with_headroom(|| ValueRepr::serialize(self, s));
        }
        let _count = DepthCount::enter(&WRITE_DEPTH).map_err(serde::ser::Error::custom)?;
        ValueRepr::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _count = DepthCount::enter(&READ_DEPTH).map_err(serde::de::Error::custom)?;
        ValueRepr::deserialize(d)
    }
}

/// Runs a codec that reads or writes values and tells a value (or a payload
/// sort) refused by its depth guard apart from every other failure. Every
/// reader of values and sorts (checkpoints, code images, wire frames)
/// decodes under it.
pub fn guard_depth<T, E>(codec: impl FnOnce() -> Result<T, E>) -> Result<T, DepthGuarded<E>> {
    let outer = REFUSED.with(|refused| refused.replace(false));
    GUARDED.with(|guarded| guarded.set(guarded.get() + 1));
    let (result, sort_refused) = watch_depth(codec);
    GUARDED.with(|guarded| guarded.set(guarded.get().saturating_sub(1)));
    let refused = REFUSED.with(|refused| refused.replace(outer));
    match result {
        Ok(value) => Ok(value),
        Err(_) if refused => Err(DepthGuarded::TooDeep(ValueTooDeep {
            limit: MAX_VALUE_DEPTH,
        })),
        Err(_) if sort_refused => Err(DepthGuarded::SortTooDeep {
            limit: PayloadSort::MAX_DEPTH,
        }),
        Err(e) => Err(DepthGuarded::Other(e)),
    }
}

impl Value {
    /// Serialises a typed value with postcard into [`Value::Bytes`] (the
    /// carrier of named user sorts).
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueCodecError> {
        postcard::to_allocvec(value)
            .map(Value::bytes)
            .map_err(|e| ValueCodecError {
                context: format!("encoding {}", std::any::type_name::<T>()),
                message: e.to_string(),
            })
    }

    /// Deserialises a typed value from [`Value::Bytes`] written by
    /// [`Value::encode`].
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ValueCodecError> {
        let context = || format!("decoding {}", std::any::type_name::<T>());
        match self {
            Value::Bytes(bytes) => {
                guard_depth(|| postcard::from_bytes(bytes)).map_err(|e| ValueCodecError {
                    context: context(),
                    message: e.to_string(),
                })
            }
            other => Err(ValueCodecError {
                context: context(),
                message: format!("expected bytes, got a {} value", other.kind()),
            }),
        }
    }
}
