//! Pictures of a global protocol: a Mermaid sequence diagram drawn from the
//! source (so `par`, loops and timeouts keep their shape) and a DOT state
//! graph drawn from the lowered global type.

mod sequence;
mod state;

pub use sequence::mermaid;
pub use state::dot;
