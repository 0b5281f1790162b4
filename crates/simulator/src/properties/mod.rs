//! What a run is judged by: the properties a scenario states, the
//! online monitor that checks them each round, the hosts' observations,
//! the independent walk of local types, and predicates hosts add in Rust.

pub mod host_predicate;
pub mod monitor;
pub mod observation;
pub mod property;
pub mod type_walk;
