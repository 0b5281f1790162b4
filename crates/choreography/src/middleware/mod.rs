//! Middleware: handlers that wrap any handler and add one concern.
//!
//! Every middleware is generic over the handler it wraps and implements
//! [`crate::ChoreoHandler`] with the same endpoint, so they stack in any
//! order (`Trace<Metrics<Retry<InMemoryHandler>>>`) at no dynamic cost.

#[cfg(feature = "test-utils")]
pub mod fault_injection;
pub mod metrics;
pub mod retry;
pub mod trace;
