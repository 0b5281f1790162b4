//! The generic typestate layer emitted into every protocol's `session`
//! module: the `Session` carrier, the state descriptors (`Send`, `Recv`,
//! `Select`, `Branch`, `End`) and the transitions that call the handler.
//!
//! It is emitted per protocol (a proc-macro crate cannot export runtime
//! items), so the generated code depends only on `telltale-choreography`
//! and `telltale-types`.

use proc_macro2::TokenStream;
use quote::quote;

/// The fixed part of a protocol's `session` module, with the protocol's
/// role and label tables.
pub fn session_framework(roles: &[String], labels: &[String]) -> TokenStream {
    let role_count = roles.len();
    let label_count = labels.len();
    quote! {
        use ::std::marker::PhantomData;
        use ::telltale_choreography::{ChoreoError, ChoreoHandler, ChoreoResult, Message, Value};

        /// The role and label names of the protocol, allocated once, so a
        /// transition costs no allocation beyond the handler's own.
        struct Names {
            roles: [::telltale_types::Role; #role_count],
            labels: [::std::sync::Arc<str>; #label_count],
        }

        #[inline]
        fn names() -> &'static Names {
            static NAMES: ::std::sync::OnceLock<Names> = ::std::sync::OnceLock::new();
            NAMES.get_or_init(|| Names {
                roles: [#(::telltale_types::Role::new(#roles)),*],
                labels: [#(::std::sync::Arc::<str>::from(#labels)),*],
            })
        }

        /// A role at the type level, so states can name their peer.
        pub trait Peer {
            /// The role's position in the protocol's `roles` list.
            const INDEX: usize;
        }

        /// A message type of the protocol: its label and its payload codec.
        pub trait ProtocolMessage: Sized {
            /// The label on the wire.
            const LABEL: &'static str;
            /// The label with its payload sort, for error messages.
            const SIGNATURE: &'static str;
            /// The label's position in the protocol's label table.
            const INDEX: usize;
            /// The payload as a dynamic value.
            fn into_value(self) -> ChoreoResult<Value>;
            /// The message from a received payload, if it has the right shape.
            fn from_value(value: Value) -> ::std::option::Option<Self>;
        }

        /// A protocol state descriptor; a recursion marker unfolds to its body.
        pub trait Continue {
            /// The state a session is in when it reaches this descriptor.
            type State;
        }

        /// State: send `M` to `R`, then continue as `N`.
        pub struct Send<R, M, N>(PhantomData<fn() -> (R, M, N)>);
        /// State: receive `M` from `R`, then continue as `N`.
        pub struct Recv<R, M, N>(PhantomData<fn() -> (R, M, N)>);
        /// State: choose one of the messages `C` offers and send it to `R`
        /// (`C`'s offers trait lists them).
        pub struct Select<R, C>(PhantomData<fn() -> (R, C)>);
        /// State: receive one of several messages from `R`; `C` lists them.
        pub struct Branch<R, C>(PhantomData<fn() -> (R, C)>);
        /// State: the protocol is over for this role.
        pub struct End;

        impl<R, M, N> Continue for Send<R, M, N> {
            type State = Self;
        }
        impl<R, M, N> Continue for Recv<R, M, N> {
            type State = Self;
        }
        impl<R, C> Continue for Select<R, C> {
            type State = Self;
        }
        impl<R, C> Continue for Branch<R, C> {
            type State = Self;
        }
        impl Continue for End {
            type State = Self;
        }

        /// A role's session in state `S`: each transition consumes it and
        /// returns the next state, so the compiler checks the protocol order.
        #[must_use = "a session state must be driven to its end: the protocol is not finished"]
        pub struct Session<'h, H: ChoreoHandler, S> {
            handler: &'h mut H,
            endpoint: &'h mut H::Endpoint,
            state: PhantomData<fn() -> S>,
        }

        /// Proof that a role ran its protocol to the end, carrying its result.
        #[must_use = "return the finished session from the role function"]
        pub struct Finished<T>(T);

        impl<T> Finished<T> {
            /// The role function's result.
            #[inline]
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<'h, H: ChoreoHandler, S> Session<'h, H, S> {
            #[inline]
            fn start(handler: &'h mut H, endpoint: &'h mut H::Endpoint) -> Self {
                Session { handler, endpoint, state: PhantomData }
            }

            #[inline]
            fn next<T>(self) -> Session<'h, H, T> {
                Session { handler: self.handler, endpoint: self.endpoint, state: PhantomData }
            }

            /// The handler running this session, e.g. to read its role.
            #[inline]
            pub fn handler(&self) -> &H {
                self.handler
            }

            fn violation(&self, peer: usize, expected: &str, got: ::std::string::String) -> ChoreoError {
                ChoreoError::ProtocolViolation {
                    role: self.handler.role().clone(),
                    peer: names().roles[peer].clone(),
                    expected: expected.into(),
                    got,
                }
            }
        }

        impl<'h, H: ChoreoHandler, R: Peer, M: ProtocolMessage, N: Continue> Session<'h, H, Send<R, M, N>> {
            /// Sends `message` to `R` and moves to the next state.
            #[inline]
            pub async fn send(self, message: M) -> ChoreoResult<Session<'h, H, N::State>> {
                let names = names();
                let message = Message::new(names.labels[M::INDEX].clone(), message.into_value()?);
                self.handler.send(self.endpoint, &names.roles[R::INDEX], message).await?;
                ::std::result::Result::Ok(self.next())
            }

            /// [`Self::send`], naming the peer, so the call reads like the protocol.
            #[inline]
            pub async fn send_to(self, _to: R, message: M) -> ChoreoResult<Session<'h, H, N::State>> {
                self.send(message).await
            }
        }

        impl<'h, H: ChoreoHandler, R: Peer, M: ProtocolMessage, N: Continue> Session<'h, H, Recv<R, M, N>> {
            /// [`Self::recv`], naming the peer, so the call reads like the protocol.
            #[inline]
            pub async fn recv_from(self, _from: R) -> ChoreoResult<(M, Session<'h, H, N::State>)> {
                self.recv().await
            }

            /// Receives the message from `R` and moves to the next state.
            #[inline]
            pub async fn recv(self) -> ChoreoResult<(M, Session<'h, H, N::State>)> {
                let names = names();
                let message = self.handler.recv(self.endpoint, &names.roles[R::INDEX]).await?;
                if &*message.label != M::LABEL {
                    return ::std::result::Result::Err(self.violation(R::INDEX, M::SIGNATURE, message.to_string()));
                }
                let kind = message.value.kind();
                match M::from_value(message.value) {
                    ::std::option::Option::Some(m) => ::std::result::Result::Ok((m, self.next())),
                    ::std::option::Option::None => ::std::result::Result::Err(self.violation(
                        R::INDEX,
                        M::SIGNATURE,
                        ::std::format!("{}(a {} value)", M::LABEL, kind),
                    )),
                }
            }
        }

        impl<'h, H: ChoreoHandler, R: Peer, C> Session<'h, H, Select<R, C>> {
            /// Sends the chosen `message` to `R` and moves to the state `N`;
            /// each choice's `select` names `N` from its own offers trait.
            #[inline]
            async fn choose<M: ProtocolMessage, N>(self, message: M) -> ChoreoResult<Session<'h, H, N>> {
                let names = names();
                let message = Message::new(names.labels[M::INDEX].clone(), message.into_value()?);
                self.handler.choose(self.endpoint, &names.roles[R::INDEX], message).await?;
                ::std::result::Result::Ok(self.next())
            }
        }

        impl<'h, H: ChoreoHandler> Session<'h, H, End> {
            /// Ends the session with the role function's result.
            #[inline]
            pub fn finish<T>(self, output: T) -> Finished<T> {
                Finished(output)
            }

            /// Ends the session with no result.
            #[inline]
            pub fn end(self) -> Finished<()> {
                Finished(())
            }
        }
    }
}
