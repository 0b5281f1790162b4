//! One module per `tell` subcommand.

pub mod check;
pub mod explain;
pub mod fmt;
pub mod graph;
pub mod project;
pub mod serve;
pub mod subtype;
