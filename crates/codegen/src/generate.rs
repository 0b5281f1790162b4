//! A lowered protocol to its Rust module.

use crate::declared::DeclaredEnums;
use crate::error::MacroError;
use crate::input::LoadedSource;
use crate::names::{rust_ident, shadows_prelude, snake_case};
use crate::outline::{ProtocolOutline, RoleOutline};
use crate::payload::{message_items, message_name, signature, MessageType, PayloadError};
use crate::runtime::session_framework;
use crate::states::{role_code, ProtocolNames};
use crate::unprojectable;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};
use telltale_lang::{LoweredProtocol, SourceFile};
use telltale_types::stack::with_headroom;
use telltale_types::{GlobalType, PayloadSort};

/// Every distinct (label, sort) of `global`, in order of first appearance.
fn collect_messages(global: &GlobalType, out: &mut Vec<(String, PayloadSort)>) {
    with_headroom(|| match global {
        GlobalType::Comm { branches, .. } => {
            for branch in branches {
                let key = (branch.label.name.to_string(), branch.label.sort.clone());
                if !out.contains(&key) {
                    out.push(key);
                }
                collect_messages(&branch.continuation, out);
            }
        }
        GlobalType::Rec { body, .. } => collect_messages(body, out),
        GlobalType::Var(_) | GlobalType::End => {}
    })
}

/// Names the message types, avoiding the roles, the fixed names, the
/// per-role exports, the prelude and each other.
fn message_types(
    messages: &[(String, PayloadSort)],
    roles: &[String],
    labels: &[String],
) -> Vec<(String, PayloadSort, String, usize)> {
    let reserved = |name: &str| {
        matches!(
            name,
            "Role" | "Session" | "Finished" | "NAME" | "GLOBAL_TYPE" | "CONTENT_ID"
        ) || shadows_prelude(name)
            || roles.iter().any(|role| {
                name == role
                    || name
                        .strip_prefix(role.as_str())
                        .is_some_and(|rest| rest == "Start")
            })
    };
    let mut taken = BTreeSet::new();
    messages
        .iter()
        .map(|(label, sort)| {
            let base = message_name(label);
            let mut name = if reserved(&base) {
                format!("{base}Msg")
            } else {
                base.clone()
            };
            let mut suffix = 2;
            while taken.contains(&name) {
                name = format!("{base}{suffix}");
                suffix += 1;
            }
            taken.insert(name.clone());
            let index = labels.iter().position(|l| l == label).unwrap_or(0);
            (label.clone(), sort.clone(), name, index)
        })
        .collect()
}

/// One protocol's generated module and its outline for people.
pub struct GeneratedProtocol {
    /// The module's tokens.
    pub tokens: TokenStream,
    /// The same API, described.
    pub outline: ProtocolOutline,
}

/// The module of one protocol.
pub fn protocol_module(
    source: &LoadedSource,
    file: &SourceFile,
    protocol: &LoweredProtocol,
    declared: &DeclaredEnums,
) -> Result<GeneratedProtocol, MacroError> {
    let span = source.span_of(protocol.span.start..protocol.span.end);
    let ident_error = |what: &'static str, name: &str| MacroError::Identifier {
        span,
        protocol: protocol.name.clone(),
        what,
        name: name.to_string(),
    };
    let module = rust_ident(&snake_case(&protocol.name))
        .ok_or_else(|| ident_error("protocol", &protocol.name))?;
    let roles: Vec<String> = protocol
        .roles
        .iter()
        .map(|r| r.as_str().to_string())
        .collect();
    let mut role_idents = Vec::with_capacity(roles.len());
    for role in &roles {
        match rust_ident(role) {
            Some(_) if shadows_prelude(role) => role_idents.push(format_ident!("{role}Role")),
            Some(ident) if !matches!(role.as_str(), "Role" | "Session" | "Finished") => {
                role_idents.push(ident)
            }
            _ => return Err(ident_error("role", role)),
        }
    }

    let mut messages = Vec::new();
    collect_messages(&protocol.global, &mut messages);
    let mut labels: Vec<String> = Vec::new();
    for (label, _) in &messages {
        if !labels.contains(label) {
            labels.push(label.clone());
        }
    }
    // Declared enumerations live in the module too: message names avoid them.
    let reserved: Vec<String> = roles
        .iter()
        .chain(declared.names())
        .cloned()
        .chain(role_idents.iter().map(Ident::to_string))
        .collect();
    let named = message_types(&messages, &reserved, &labels);

    let mut names = ProtocolNames {
        roles: BTreeMap::new(),
        messages: BTreeMap::new(),
    };
    for (index, (role, ident)) in roles.iter().zip(&role_idents).enumerate() {
        names.roles.insert(role.clone(), (ident.clone(), index));
    }
    let mut message_code = Vec::with_capacity(named.len());
    let mut message_outline = Vec::with_capacity(named.len());
    for (label, sort, name, index) in named {
        let ident = rust_ident(&name).ok_or_else(|| ident_error("message label", &label))?;
        let message = MessageType {
            label: label.clone(),
            sort: sort.clone(),
            ident: ident.clone(),
            index,
        };
        let code = message_items(&message, declared).map_err(|e| match e {
            PayloadError::Field(field) => ident_error("record field", &field),
            PayloadError::Path(path) => ident_error("type path", &path),
        })?;
        message_code.push(code);
        message_outline.push((ident.to_string(), signature(&label, &sort)));
        names.messages.insert((label, sort), ident);
    }

    let declared_definitions = declared.definitions();
    let mut session_items = Vec::new();
    let mut exports: Vec<Ident> = Vec::new();
    let mut role_outlines = Vec::with_capacity(protocol.roles.len());
    for role in &protocol.roles {
        let local = telltale_theory::projection::project(&protocol.global, role).map_err(|e| {
            MacroError::language(
                source,
                file,
                &unprojectable::diagnostic(protocol, &file.text, &e),
            )
        })?;
        let code =
            role_code(&names, role.as_str(), &local).map_err(|e| MacroError::Unsupported {
                span,
                protocol: protocol.name.clone(),
                role: role.to_string(),
                reason: e.to_string(),
            })?;
        session_items.push(code.items);
        exports.extend(code.exports);
        role_outlines.push(RoleOutline {
            role: role.to_string(),
            marker: names
                .roles
                .get(role.as_str())
                .map_or_else(String::new, |(ident, _)| ident.to_string()),
            lines: code.outline,
        });
    }

    let content_id = protocol.protocol_id().map_err(|e| MacroError::Input {
        span,
        message: format!("protocol `{}` has no protocol id: {e}", protocol.name),
    })?;
    let content_id_bytes = content_id.as_bytes().iter();
    let content_id_doc = format!(
        "The protocol id, `{content_id}` (the global type's content id, \
         hashed with the effect table when the protocol performs effects): \
         what the TCP handshake compares, so only peers built from the same \
         protocol and effect signatures can connect \
         (`TcpConfig::new(role, CONTENT_ID, peers)`)."
    );
    let framework = session_framework(&roles, &labels);
    let indices = 0..roles.len();
    let role_count = roles.len();
    let name = &protocol.name;
    let global_text = protocol.global.to_string();
    let module_doc = format!(
        "Typed session API of protocol `{name}`, generated by `choreography!`.\n\n\
         Global type: `{global_text}`"
    );
    let role_docs = roles.iter().map(|r| format!("Role `{r}`."));
    let marker_docs = roles
        .iter()
        .map(|r| format!("Role `{r}` at the type level."));
    let role_names = &roles;
    let peer_impls = role_idents.iter().zip(0..roles.len()).map(
        |(ident, index)| quote!(impl session::Peer for #ident { const INDEX: usize = #index; }),
    );
    let session_module = format_ident!("session");
    let outline = ProtocolOutline {
        name: name.clone(),
        module: module.to_string(),
        content_id: content_id.to_string(),
        roles: role_outlines,
        messages: message_outline,
    };
    let tokens = quote! {
        #[doc = #module_doc]
        #[allow(
            dead_code,
            missing_docs,
            non_camel_case_types,
            non_snake_case,
            unreachable_pub,
            clippy::all,
            clippy::pedantic
        )]
        pub mod #module {
            /// The protocol's name.
            pub const NAME: &str = #name;
            /// The lowered global type, in Telltale notation.
            pub const GLOBAL_TYPE: &str = #global_text;
            #[doc = #content_id_doc]
            pub const CONTENT_ID: ::telltale_types::ContentId =
                ::telltale_types::ContentId::from_bytes([#(#content_id_bytes),*]);

            /// The protocol's roles, in declaration order.
            #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
            pub enum Role {
                #(#[doc = #role_docs] #role_idents,)*
            }

            impl Role {
                /// Every role, in declaration order.
                pub const ALL: [Role; #role_count] = [#(Role::#role_idents),*];

                /// The role's name in the protocol.
                pub fn name(self) -> &'static str {
                    match self {
                        #(Role::#role_idents => #role_names,)*
                    }
                }

                /// The role as a runtime role name.
                pub fn to_role(self) -> ::telltale_types::Role {
                    ::telltale_types::Role::new(self.name())
                }

                /// The role's position in declaration order.
                pub fn index(self) -> usize {
                    match self {
                        #(Role::#role_idents => #indices,)*
                    }
                }
            }

            #(
                #[doc = #marker_docs]
                #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
                pub struct #role_idents;
            )*
            #(#peer_impls)*

            #declared_definitions
            #(#message_code)*

            pub use #session_module::{Finished, Session, #(#exports),*};

            /// The typestate layer of this protocol: states, transitions and
            /// the entry point of each role.
            pub mod #session_module {
                #framework
                #(#session_items)*
            }
        }
    };
    Ok(GeneratedProtocol { tokens, outline })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(labels: &[(&str, PayloadSort)], roles: &[&str], expected: &[&str]) {
        let messages: Vec<(String, PayloadSort)> = labels
            .iter()
            .map(|(l, s)| (l.to_string(), s.clone()))
            .collect();
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        let mut distinct: Vec<String> = Vec::new();
        for (label, _) in &messages {
            if !distinct.contains(label) {
                distinct.push(label.clone());
            }
        }
        let named: Vec<String> = message_types(&messages, &roles, &distinct)
            .into_iter()
            .map(|(_, _, name, _)| name)
            .collect();
        assert_eq!(named, expected);
    }

    #[test]
    fn message_names_avoid_roles_generated_names_and_each_other() {
        check(&[("ping", PayloadSort::Unit)], &["A"], &["Ping"]);
        check(
            &[("a", PayloadSort::Unit), ("Session", PayloadSort::Unit)],
            &["A"],
            &["AMsg", "SessionMsg"],
        );
        check(&[("AStart", PayloadSort::Unit)], &["A"], &["AStartMsg"]);
        check(
            &[
                ("Result", PayloadSort::Unit),
                ("ok", PayloadSort::Nat),
                ("Vec", PayloadSort::Unit),
                ("None", PayloadSort::Unit),
            ],
            &["A"],
            &["ResultMsg", "OkMsg", "VecMsg", "NoneMsg"],
        );
        check(
            &[
                ("Quote", PayloadSort::Int),
                ("Quote", PayloadSort::String),
                ("quote", PayloadSort::Unit),
            ],
            &["A"],
            &["Quote", "Quote2", "Quote3"],
        );
    }

    #[test]
    fn messages_are_collected_once_in_order() {
        let global = telltale_types::GlobalType::rec(
            "t",
            telltale_types::GlobalType::send(
                "A",
                "B",
                telltale_types::Label::new("Ping", PayloadSort::Nat),
                telltale_types::GlobalType::send(
                    "B",
                    "A",
                    telltale_types::Label::new("Ping", PayloadSort::Nat),
                    telltale_types::GlobalType::var("t"),
                ),
            ),
        );
        let mut out = Vec::new();
        collect_messages(&global, &mut out);
        assert_eq!(out, vec![("Ping".to_string(), PayloadSort::Nat)]);
    }
}
