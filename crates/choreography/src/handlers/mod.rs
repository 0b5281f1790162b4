//! Concrete handlers: in-process channels, recording, and no-op.

pub mod in_memory;
pub mod no_op;
pub mod recording;
