//! TCP transport of Telltale: every role runs in its own process and talks
//! to its peers over TCP.
//!
//! [`TcpHandler`] implements [`telltale_choreography::ChoreoHandler`], so a
//! program or generated session code runs over sockets exactly as it runs in
//! memory. Connections carry length-delimited postcard frames. On connect,
//! the two ends exchange role names and the protocol's content id and refuse
//! to talk if the ids differ; with keys configured they also prove their
//! identity in a Noise handshake against the keys a [`Roster`] pins, and
//! every later frame is encrypted and authenticated. Every data frame
//! carries a per-edge sequence number and is kept until the peer
//! acknowledges it, so a broken connection is re-established and resumes
//! where it stopped: nothing is lost or delivered twice, and duplicated or
//! missing frames within a connection are errors, never silent.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bench;
pub mod config;
pub mod connect;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod hex;
pub mod key_file;
pub mod machine_role;
mod outbox;
mod peer_link;
pub mod roster;
pub mod secure;
pub mod sequence;
pub mod serve;
pub mod tcp_handler;

pub use config::TcpConfig;
pub use error::TransportError;
pub use frame::Frame;
pub use key_file::{
    generate_key, public_key_hex, read_key_file, write_key_file, KeyFileError, LoadedKey,
};
pub use machine_role::{
    serve_machine_role, serve_machine_role_traced, MachineRoleError, MachineRoleSummary,
};
pub use roster::{Roster, RosterEntry};
pub use sequence::{EdgeSequence, SequenceError};
pub use serve::{serve, serve_session, SessionFuture};
pub use tcp_handler::TcpHandler;
