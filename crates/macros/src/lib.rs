//! The `choreography!` macro of Telltale: a `.tell` protocol becomes a typed
//! Rust API at compile time.
//!
//! ```
//! use telltale_choreography::InMemoryHandler;
//! use telltale_types::Role;
//!
//! telltale_macros::choreography!(r#"
//! protocol PingPong =
//!   roles Pinger, Ponger
//!   Pinger -> Ponger : Ping of Nat
//!   Ponger -> Pinger : Pong of Nat
//! "#);
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mut network = InMemoryHandler::network(["Pinger", "Ponger"]);
//! let mut pinger = network.remove(&Role::new("Pinger")).unwrap();
//! let mut ponger = network.remove(&Role::new("Ponger")).unwrap();
//! let (mut pinger_endpoint, mut ponger_endpoint) = ((), ());
//! let (answer, served) = tokio::join!(
//!     ping_pong::run_pinger(&mut pinger, &mut pinger_endpoint, |s| async move {
//!         let s = s.send(ping_pong::Ping(7)).await?;
//!         let (ping_pong::Pong(n), s) = s.recv().await?;
//!         Ok(s.finish(n))
//!     }),
//!     ping_pong::run_ponger(&mut ponger, &mut ponger_endpoint, |s| async move {
//!         let (ping_pong::Ping(n), s) = s.recv().await?;
//!         Ok(s.send(ping_pong::Pong(n + 1)).await?.end())
//!     }),
//! );
//! assert_eq!(answer.unwrap(), 8);
//! served.unwrap();
//! # });
//! ```
//!
//! The macro takes the protocol inline (`choreography!("...")`) or from a
//! file (`choreography!(file = "protocols/ping_pong.tell")`, relative to the
//! calling crate's `CARGO_MANIFEST_DIR`; `.nuscr`/`.scr` files use the
//! Scribble front-end), optionally followed by the sizes of role families,
//! `params(N = 3)` (a family `W[N]` becomes the roles `W0`, `W1`, `W2`).
//! It parses, lowers and projects the protocol while
//! compiling; any diagnostic becomes a `compile_error!` with the DSL's
//! `line:col` and the rendered diagnostic, pointing inside the literal when
//! the compiler allows it and at the literal otherwise. A projection
//! failure (a role that cannot tell which branch of a choice was taken) is
//! rendered as `tell check` renders it: `line:col` of the choice, the
//! excerpt, and a help saying how to fix the protocol.
//!
//! # What is generated
//!
//! For every top-level protocol, a module named after it in snake case
//! (`PingPong` → `ping_pong`) at the call site, holding:
//!
//! - `NAME`, `GLOBAL_TYPE` (the lowered global type as text) and
//!   `CONTENT_ID`, the protocol's content id: the value the TCP handshake
//!   compares, so typed roles connect with
//!   `TcpConfig::new(role, my_protocol::CONTENT_ID, peers)` without reading
//!   the `.tell` file again (see `telltale_transport::serve_session`);
//! - `Role`, an enum of the roles, and one unit struct per role (the role at
//!   the type level);
//! - one message type per label: a unit struct for a unit payload, a tuple
//!   struct for a single sort or a product, a struct with named fields for a
//!   record. Sorts map to unit → `()`, bool → `bool`, nat → `u64`, int →
//!   `i64`, real → `f64`, string → `String`, bytes → `Vec<u8>`, product →
//!   tuple, nested record → a generated `<Message>Part<n>` struct, and a
//!   named type `a.B` → the Rust path `a::B` as seen from the call site
//!   (it must implement serde's `Serialize` and `Deserialize`; it travels as
//!   postcard bytes), except an enumeration declared in the source
//!   (`type Vote = | Approve | Reject`), which is generated in the module as
//!   a Rust enum carried as its one-byte constructor index;
//! - generated names never shadow the prelude or each other: a message
//!   whose name is a prelude item (`Result`, `Option`, `Some`, `None`,
//!   `Ok`, `Err`, `Box`, `String`, `Vec`, `Send`, `Clone`, ...) or would
//!   clash with a role or a generated name gets a `Msg` suffix
//!   (`ResultMsg`), a role named like a prelude item gets a `Role`
//!   suffix on its type and its `Role` variant (`BoxRole`; `run_box` and
//!   `BoxStart` keep the name), and a declared enumeration gets a `Type`
//!   suffix (`type Option = ...` becomes `OptionType`), so
//!   `use my_protocol::*;` never changes what `Result` means;
//! - per role `R`: `RStart`, the first state, and
//!   `run_r(handler, endpoint, body)`, which checks the handler plays `R`
//!   and runs `body` on the first state. `body` must return the
//!   `Finished` value that only the `End` state's `finish`/`end` produce, so
//!   a role that stops early does not compile;
//! - the `session` module with the states: `Session<'h, H, S>` over a
//!   descriptor `S`, one of `Send<R, M, Next>` (method `send(M)`),
//!   `Recv<R, M, Next>` (method `recv() -> (M, next)`), `Select<R, C>`
//!   (method `select(M)` for any message `M` the choice offers; selecting
//!   another one is one error that reads "Client may send `Job` or `Done`
//!   to Server here, not `Note`"),
//!   `Branch<R, C>` (method `branch()` returning an enum named after the
//!   role and the labels, e.g. `ServerBuyOrCancel`, numbered if the same
//!   offer recurs, with one variant per message, each carrying the message
//!   and its next state), and `End`. Recursion points are marker types that unfold to
//!   their body, so a loop re-enters the same state type.
//!
//! A choice's branches are told apart by the label of their first message,
//! which is what `select` takes and what `branch()`'s enum variants are
//! named after; the `| Name =>` words of a `choice` are documentation and
//! appear nowhere in the generated API.
//!
//! To see the generated API, run `tell api FILE --role R` (the module, the
//! message types, and each step of the role with the method to call), or
//! `cargo doc --document-private-items` on your crate for the full items.
//!
//! Every transition consumes the state and returns the next one; states are
//! `#[must_use]`. The transitions call the handler directly with role and
//! label names allocated once per protocol, so the layer adds no cost over
//! calling the handler by hand.
//!
//! The calling crate must depend on `telltale-choreography` and
//! `telltale-types`, which the generated code names by absolute path.
//!
//! The generator itself lives in the `telltale-codegen` library, so that
//! `tell api FILE --role R` prints the same API this macro generates.

/// Turns a `.tell` protocol into a typed, typestate session API; see the
/// crate documentation.
#[proc_macro]
pub fn choreography(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    telltale_codegen::expand(input.into()).into()
}
