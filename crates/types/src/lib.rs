//! Core protocol types of Telltale.
//!
//! This crate holds the vocabulary every other layer speaks:
//! [`GlobalType`] (the protocol from a neutral viewpoint), [`LocalType`]
//! (one role's view), [`Label`] and [`PayloadSort`] (what a message is
//! called and what it carries), [`Role`] names, and [`ContentId`]s, the
//! SHA-256 content addresses of alpha-normalised types.
//!
//! Types serialise (serde) in the JSON schema of the Lean bridge, so golden
//! files produced by the formal model can be read directly:
//!
//! ```
//! use telltale_types::{GlobalType, Label};
//!
//! let g = GlobalType::send("Alice", "Bob", Label::unit("ping"),
//!     GlobalType::send("Bob", "Alice", Label::unit("pong"), GlobalType::End));
//! assert_eq!(g.to_string(), "Alice -> Bob : { ping(unit) . Bob -> Alice : { pong(unit) . end } }");
//! let json = telltale_types::json::global_to_json(&g).unwrap();
//! assert_eq!(telltale_types::json::global_from_json(&json).unwrap(), g);
//! ```
//!
//! Types may be very deep (a chain of 100,000 messages is a 100,000-level
//! tree). Every recursive operation in this crate, including `Clone`,
//! `PartialEq` and `Drop`, is safe at any depth; downstream crates use
//! [`stack::with_headroom`] for their own recursions.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod content;
pub mod effects;
pub mod error;
pub mod global;
pub mod json;
pub mod label;
pub mod local;
pub mod missable;
pub mod protocol_id;
pub mod random;
pub mod role;
pub mod sort;
pub mod stack;
pub mod value;

pub use content::{ContentId, ContentStore, TemplateId};
pub use effects::{EffectOperation, EffectSite, EffectTable, OutcomeDecl};
pub use error::TypesError;
pub use global::{GlobalBranch, GlobalType};
pub use label::Label;
pub use local::{Direction, LocalBranch, LocalType};
pub use missable::MissableMessage;
pub use protocol_id::protocol_id;
pub use role::Role;
pub use sort::PayloadSort;
pub use value::Value;
