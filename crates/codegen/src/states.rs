//! One role's local type as typestate descriptors, with the choice and
//! recursion markers, branch enums and the `run_<role>` entry point.

use crate::names::snake_case;
use crate::payload::signature;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};
use telltale_types::stack::with_headroom;
use telltale_types::{Label, LocalBranch, LocalType, PayloadSort};

/// The Rust names of a protocol's roles and messages.
pub struct ProtocolNames {
    /// Role name → (marker type, index in `roles`).
    pub roles: BTreeMap<String, (Ident, usize)>,
    /// (label, sort) → message type.
    pub messages: BTreeMap<(String, PayloadSort), Ident>,
}

/// Why a local type has no typestate.
#[derive(Debug, PartialEq, Eq)]
pub enum StateError {
    /// `continue X` with no enclosing `rec X`.
    FreeVariable(String),
    /// `rec X . X` (or through other `rec`s only): a loop with no step.
    Unguarded(String),
    /// A communication with no branches.
    EmptyChoice(String),
    /// A peer or message the protocol tables do not know (an internal
    /// inconsistency between the global type and its projection).
    Unknown(String),
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateError::FreeVariable(v) => write!(f, "`continue {v}` has no enclosing `rec {v}`"),
            StateError::Unguarded(v) => {
                write!(f, "recursion `{v}` loops without communicating")
            }
            StateError::EmptyChoice(peer) => write!(f, "a choice with {peer} has no branches"),
            StateError::Unknown(what) => write!(f, "unknown {what} in the local type"),
        }
    }
}

/// The generated code of one role.
pub struct RoleCode {
    /// Items of the `session` module.
    pub items: TokenStream,
    /// Names to re-export at the protocol module's top level.
    pub exports: Vec<Ident>,
    /// The role's API for people: one indented line per step, built by the
    /// same walk that builds the items, so it names what they name.
    pub outline: Vec<String>,
}

/// Builds one role's typestate descriptors.
struct RoleStates<'a> {
    names: &'a ProtocolNames,
    role: &'a str,
    loops: Vec<(String, Ident)>,
    items: Vec<TokenStream>,
    exports: Vec<Ident>,
    markers: usize,
    branch_enums: BTreeSet<String>,
    outline: Vec<String>,
    depth: usize,
}

impl RoleStates<'_> {
    /// Adds a line to the outline at the current depth; returns its index.
    fn say(&mut self, line: String) -> usize {
        self.outline
            .push(format!("{}{line}", "  ".repeat(self.depth)));
        self.outline.len() - 1
    }

    fn peer(&self, name: &str) -> Result<(Ident, usize), StateError> {
        self.names
            .roles
            .get(name)
            .cloned()
            .ok_or_else(|| StateError::Unknown(format!("role `{name}`")))
    }

    fn message(&self, label: &Label) -> Result<Ident, StateError> {
        self.names
            .messages
            .get(&(label.name.to_string(), label.sort.clone()))
            .cloned()
            .ok_or_else(|| StateError::Unknown(format!("message `{}`", label.name)))
    }

    /// `{Role}{Label}Or{Label}...`, numbered when the same offer recurs.
    fn branch_enum_name(&mut self, arms: &[(Ident, TokenStream, &Label)]) -> Ident {
        let labels: Vec<String> = arms.iter().map(|(m, _, _)| m.to_string()).collect();
        let base = format!("{}{}", self.role, labels.join("Or"));
        let mut name = base.clone();
        let mut suffix = 2;
        while self.branch_enums.contains(&name) {
            name = format!("{base}{suffix}");
            suffix += 1;
        }
        self.branch_enums.insert(name.clone());
        format_ident!("{}", name)
    }

    fn marker(&mut self, kind: &str) -> Ident {
        self.markers += 1;
        format_ident!("{}{}{}", self.role, kind, self.markers)
    }

    /// The descriptor type of `local`; `unguarded` are the recursion
    /// variables bound since the last communication.
    fn descriptor(
        &mut self,
        local: &LocalType,
        unguarded: &[String],
    ) -> Result<TokenStream, StateError> {
        with_headroom(|| match local {
            LocalType::End => {
                self.say("s.finish(value) or s.end(): the role is done".into());
                Ok(quote!(End))
            }
            LocalType::Var(var) => {
                if unguarded.contains(var) {
                    return Err(StateError::Unguarded(var.clone()));
                }
                self.say(format!("continue {var}"));
                self.loops
                    .iter()
                    .rev()
                    .find(|(name, _)| name == var)
                    .map(|(_, marker)| quote!(#marker))
                    .ok_or_else(|| StateError::FreeVariable(var.clone()))
            }
            LocalType::Rec { var, body } => {
                let marker = self.marker("Loop");
                self.loops.push((var.clone(), marker.clone()));
                let mut inner = unguarded.to_vec();
                inner.push(var.clone());
                self.say(format!("loop {var}:"));
                self.depth += 1;
                let body = self.descriptor(body, &inner);
                self.depth -= 1;
                self.loops.pop();
                let body = body?;
                let doc = format!("Recursion point `{var}` of role `{}`.", self.role);
                self.items.push(quote! {
                    #[doc = #doc]
                    pub struct #marker;
                    impl Continue for #marker {
                        type State = <#body as Continue>::State;
                    }
                });
                Ok(quote!(#marker))
            }
            LocalType::Send { partner, branches } => {
                self.communication(partner.as_str(), branches, true)
            }
            LocalType::Recv { partner, branches } => {
                self.communication(partner.as_str(), branches, false)
            }
        })
    }

    fn communication(
        &mut self,
        partner: &str,
        branches: &[LocalBranch],
        sending: bool,
    ) -> Result<TokenStream, StateError> {
        let (peer, peer_index) = self.peer(partner)?;
        let single = branches.len() == 1;
        // The header of a choice or offer; an offer's enum is named (and
        // this line written) once its arms are known.
        let header = match (single, sending) {
            (true, _) => None,
            (false, true) => Some(self.say(format!("s.select(message) to {partner}, one of:"))),
            (false, false) => Some(self.say(String::new())),
        };
        let mut arms = Vec::with_capacity(branches.len());
        self.depth += usize::from(!single);
        for branch in branches {
            let message = self.message(&branch.label)?;
            match (single, sending) {
                (true, true) => self.say(format!("s.send({message}) to {partner}")),
                (true, false) => self.say(format!("s.recv() from {partner} -> {message}")),
                (false, _) => self.say(format!("{message} =>")),
            };
            self.depth += usize::from(!single);
            let next = self.descriptor(&branch.continuation, &[]);
            self.depth -= usize::from(!single);
            arms.push((message, next?, &branch.label));
        }
        self.depth -= usize::from(!single);
        match (arms.len(), sending) {
            (0, _) => Err(StateError::EmptyChoice(partner.to_string())),
            (1, true) => {
                let (message, next, _) = &arms[0];
                Ok(quote!(Send<super::#peer, super::#message, #next>))
            }
            (1, false) => {
                let (message, next, _) = &arms[0];
                Ok(quote!(Recv<super::#peer, super::#message, #next>))
            }
            (_, true) => {
                let marker = self.marker("Choice");
                let doc = format!(
                    "The choices of role `{}` towards `{partner}`: {}.",
                    self.role,
                    labels_text(&arms)
                );
                // A trait per choice, so a message the choice does not offer
                // is reported with this choice's own words and candidates,
                // not with every other choice of the protocol.
                let offers = format_ident!("{}Offers", marker);
                let offered = arms
                    .iter()
                    .map(|(message, _, _)| format!("`{message}`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                let role = self.role;
                let refusal = format!("{role} may send {offered} to {partner} here, not `{{M}}`");
                let label = format!("{partner} does not offer this here");
                let note = format!("the messages {role} may send here: {offered}");
                let impls = arms.iter().map(|(message, next, _)| {
                    quote!(impl #offers<super::#message> for #marker { type Next = #next; })
                });
                self.items.push(quote! {
                    #[doc = #doc]
                    pub struct #marker;
                    #[doc = "The messages this choice offers, each with its next state."]
                    #[diagnostic::on_unimplemented(message = #refusal, label = #label, note = #note)]
                    pub trait #offers<M> {
                        /// The state after sending `M`.
                        type Next: Continue;
                    }
                    #(#impls)*

                    impl<'h, H: ChoreoHandler> Session<'h, H, Select<super::#peer, #marker>> {
                        /// Chooses the branch that starts with `message`, sends it
                        /// and moves to that branch's next state.
                        #[inline]
                        pub async fn select<M: ProtocolMessage>(
                            self,
                            message: M,
                        ) -> ChoreoResult<Session<'h, H, <<#marker as #offers<M>>::Next as Continue>::State>>
                        where
                            #marker: #offers<M>,
                        {
                            self.choose(message).await
                        }

                        /// [`Self::select`], naming the peer, so the call reads like the protocol.
                        #[inline]
                        pub async fn select_to<M: ProtocolMessage>(
                            self,
                            _to: super::#peer,
                            message: M,
                        ) -> ChoreoResult<Session<'h, H, <<#marker as #offers<M>>::Next as Continue>::State>>
                        where
                            #marker: #offers<M>,
                        {
                            self.choose(message).await
                        }
                    }
                });
                Ok(quote!(Select<super::#peer, #marker>))
            }
            (_, false) => {
                let (code, branches) = self.branch(&peer, peer_index, partner, &arms);
                if let Some(at) = header {
                    let indent = "  ".repeat(self.depth);
                    self.outline[at] =
                        format!("{indent}s.branch() from {partner} -> {branches}, one of:");
                }
                Ok(code)
            }
        }
    }

    fn branch(
        &mut self,
        peer: &Ident,
        peer_index: usize,
        partner: &str,
        arms: &[(Ident, TokenStream, &Label)],
    ) -> (TokenStream, Ident) {
        let marker = self.marker("Offer");
        let branches = self.branch_enum_name(arms);
        let all = labels_text(arms);
        let expected = format!("one of {all}");
        let marker_doc = format!(
            "The offer role `{}` receives from `{partner}`: {all}.",
            self.role
        );
        let enum_doc = format!(
            "What role `{}` received from `{partner}`: {all}, with the state after it.",
            self.role
        );
        let variants = arms.iter().map(|(message, next, label)| {
            let doc = format!("`{}` was received.", signature(&label.name, &label.sort));
            quote!(#[doc = #doc] #message(super::#message, Session<'h, H, <#next as Continue>::State>))
        });
        let tests = arms.iter().map(|(message, _, _)| {
            quote! {
                if &*message.label == <super::#message as ProtocolMessage>::LABEL {
                    return match <super::#message as ProtocolMessage>::from_value(message.value) {
                        ::std::option::Option::Some(m) => {
                            ::std::result::Result::Ok(#branches::#message(m, self.next()))
                        }
                        ::std::option::Option::None => ::std::result::Result::Err(self.violation(
                            #peer_index,
                            <super::#message as ProtocolMessage>::SIGNATURE,
                            ::std::format!("{}(a {} value)", message.label, kind),
                        )),
                    };
                }
            }
        });
        self.items.push(quote! {
            #[doc = #marker_doc]
            pub struct #marker;

            #[doc = #enum_doc]
            #[must_use = "each branch carries the session state, which must be driven to its end"]
            pub enum #branches<'h, H: ChoreoHandler> {
                #(#variants,)*
            }

            impl<'h, H: ChoreoHandler> Session<'h, H, Branch<super::#peer, #marker>> {
                /// Receives the message that selects the branch and moves to it.
                #[inline]
                pub async fn branch(self) -> ChoreoResult<#branches<'h, H>> {
                    let names = names();
                    let message = self.handler.offer(self.endpoint, &names.roles[#peer_index]).await?;
                    let kind = message.value.kind();
                    #(#tests)*
                    ::std::result::Result::Err(self.violation(#peer_index, #expected, message.to_string()))
                }
            }
        });
        self.exports.push(branches.clone());
        (quote!(Branch<super::#peer, #marker>), branches)
    }
}

fn labels_text(arms: &[(Ident, TokenStream, &Label)]) -> String {
    arms.iter()
        .map(|(_, _, label)| format!("`{}`", signature(&label.name, &label.sort)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The session items of `role` with local type `local`.
pub fn role_code(
    names: &ProtocolNames,
    role: &str,
    local: &LocalType,
) -> Result<RoleCode, StateError> {
    let mut states = RoleStates {
        names,
        role,
        loops: Vec::new(),
        items: Vec::new(),
        exports: Vec::new(),
        markers: 0,
        branch_enums: BTreeSet::new(),
        outline: Vec::new(),
        depth: 0,
    };
    let start_descriptor = states.descriptor(local, &[])?;
    let start = format_ident!("{}Start", role);
    let run = format_ident!("run_{}", snake_case(role));
    let start_doc = format!("The first state of role `{role}`: `{local}`.");
    let run_doc = format!(
        "Runs role `{role}` over `handler`: `body` receives the first state and must \
         return the finished session, so a role that stops early does not compile. \
         Fails if the handler plays another role."
    );
    let items = &states.items;
    let code = quote! {
        #(#items)*

        #[doc = #start_doc]
        pub type #start = <#start_descriptor as Continue>::State;

        #[doc = #run_doc]
        pub async fn #run<'h, H, F, Fut, T>(
            handler: &'h mut H,
            endpoint: &'h mut H::Endpoint,
            body: F,
        ) -> ChoreoResult<T>
        where
            H: ChoreoHandler,
            F: ::core::ops::FnOnce(Session<'h, H, #start>) -> Fut,
            Fut: ::core::future::Future<Output = ChoreoResult<Finished<T>>>,
        {
            if handler.role().as_str() != #role {
                return ::std::result::Result::Err(ChoreoError::InvalidProgram {
                    reason: ::std::format!(
                        "{} runs role `{}` but the handler plays `{}`",
                        ::core::stringify!(#run),
                        #role,
                        handler.role()
                    ),
                });
            }
            body(Session::start(handler, endpoint)).await.map(Finished::into_inner)
        }
    };
    let mut outline = vec![format!(
        "{run}(handler, endpoint, |s: Session<'_, H, {start}>| async move {{ ... }}):"
    )];
    outline.extend(states.outline.iter().map(|line| format!("  {line}")));
    let mut exports = vec![start, run];
    exports.append(&mut states.exports);
    Ok(RoleCode {
        items: code,
        exports,
        outline,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn names() -> ProtocolNames {
        let mut roles = BTreeMap::new();
        roles.insert("A".to_string(), (format_ident!("A"), 0));
        roles.insert("B".to_string(), (format_ident!("B"), 1));
        let mut messages = BTreeMap::new();
        for label in ["Ping", "Pong", "Stop"] {
            messages.insert(
                (label.to_string(), PayloadSort::Unit),
                format_ident!("{}", label),
            );
        }
        ProtocolNames { roles, messages }
    }

    fn unit(name: &str) -> Label {
        Label::new(name, PayloadSort::Unit)
    }

    fn check(local: LocalType, expected: Result<&str, StateError>) {
        let names = names();
        let mut states = RoleStates {
            names: &names,
            role: "A",
            loops: Vec::new(),
            items: Vec::new(),
            exports: Vec::new(),
            markers: 0,
            branch_enums: BTreeSet::new(),
            outline: Vec::new(),
            depth: 0,
        };
        let got = states.descriptor(&local, &[]).map(|t| t.to_string());
        assert_eq!(
            got.as_deref().map_err(|e| e.to_string()),
            expected.map_err(|e| e.to_string())
        );
    }

    #[test]
    fn local_types_become_descriptors() {
        check(
            LocalType::send(
                "B",
                unit("Ping"),
                LocalType::recv("B", unit("Pong"), LocalType::End),
            ),
            Ok("Send < super :: B , super :: Ping , Recv < super :: B , super :: Pong , End > >"),
        );
        check(
            LocalType::rec("t", LocalType::send("B", unit("Ping"), LocalType::var("t"))),
            Ok("ALoop1"),
        );
        check(
            LocalType::select(
                "B",
                vec![
                    (unit("Ping"), LocalType::End),
                    (unit("Stop"), LocalType::End),
                ],
            ),
            Ok("Select < super :: B , AChoice1 >"),
        );
        check(
            LocalType::branch(
                "B",
                vec![
                    (unit("Ping"), LocalType::End),
                    (unit("Stop"), LocalType::End),
                ],
            ),
            Ok("Branch < super :: B , AOffer1 >"),
        );
    }

    #[test]
    fn ill_formed_local_types_are_errors() {
        check(
            LocalType::var("t"),
            Err(StateError::FreeVariable("t".into())),
        );
        check(
            LocalType::rec("t", LocalType::var("t")),
            Err(StateError::Unguarded("t".into())),
        );
        check(
            LocalType::send("C", unit("Ping"), LocalType::End),
            Err(StateError::Unknown("role `C`".into())),
        );
        check(
            LocalType::send("B", unit("Other"), LocalType::End),
            Err(StateError::Unknown("message `Other`".into())),
        );
    }
}
