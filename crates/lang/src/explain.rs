//! `tell explain`: the desugared protocol as readable text.

use crate::ast::Module;
use crate::diagnostic::Diagnostic;
use crate::lower::{lower_named, LowerOptions};
use std::fmt::Write as _;
use telltale_types::stack::with_headroom;
use telltale_types::GlobalType;

/// The lowered form of `protocol`: its roles, the messages it marks
/// `or missed` (one `missable` line each, when any), and its global type,
/// one message per line, choices and recursions indented.
pub fn explain(
    module: &Module,
    protocol: &str,
    opts: &LowerOptions,
) -> Result<String, Vec<Diagnostic>> {
    let lowered = lower_named(module, protocol, opts)?;
    let roles: Vec<&str> = lowered.roles.iter().map(|r| r.as_str()).collect();
    let mut out = String::new();
    let _ = writeln!(out, "protocol {}", lowered.name);
    let _ = writeln!(out, "roles {}", roles.join(", "));
    let _ = writeln!(out, "messages {}", lowered.global.message_count());
    match lowered.global.content_id() {
        Ok(id) => {
            let _ = writeln!(out, "content-id {id}");
        }
        Err(e) => {
            let _ = writeln!(out, "content-id unavailable ({e})");
        }
    }
    for m in &lowered.effects.missable {
        let _ = writeln!(out, "missable {} -> {} : {}", m.from, m.to, m.label);
    }
    out.push_str("global:\n");
    global_text(&lowered.global, 2, &mut out);
    Ok(out)
}

/// Writes `g` as indented lines; a chain of plain messages stays flat.
pub fn global_text(g: &GlobalType, indent: usize, out: &mut String) {
    with_headroom(|| {
        let mut g = g;
        let pad = " ".repeat(indent);
        loop {
            match g {
                GlobalType::Comm {
                    sender,
                    receiver,
                    branches,
                } if branches.len() == 1 => {
                    let _ = writeln!(out, "{pad}{sender} -> {receiver} : {}", branches[0].label);
                    g = &branches[0].continuation;
                }
                GlobalType::Comm {
                    sender,
                    receiver,
                    branches,
                } => {
                    let _ = writeln!(out, "{pad}{sender} -> {receiver} choice");
                    for b in branches {
                        let _ = writeln!(out, "{pad}  | {} =>", b.label);
                        global_text(&b.continuation, indent + 4, out);
                    }
                    return;
                }
                GlobalType::Rec { var, body } => {
                    let _ = writeln!(out, "{pad}rec {var}");
                    global_text(body, indent + 2, out);
                    return;
                }
                GlobalType::Var(v) => {
                    let _ = writeln!(out, "{pad}continue {v}");
                    return;
                }
                GlobalType::End => {
                    let _ = writeln!(out, "{pad}end");
                    return;
                }
            }
        }
    })
}
