//! Stack headroom for deep recursion.
//!
//! Protocol types are trees whose depth is the length of the protocol, so a
//! naive recursive walk overflows the thread stack on long protocols. Every
//! recursive function over types wraps its body in [`with_headroom`], which
//! grows the stack on the heap when it runs low.

/// Bytes of stack that must remain before a recursive step runs in place.
const RED_ZONE: usize = 64 * 1024;
/// Size of each stack segment allocated when the red zone is reached.
const SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f`, first moving to a fresh stack segment if the current one is
/// nearly exhausted. Use it as the body of every recursive function over
/// protocol types.
#[inline]
pub fn with_headroom<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
