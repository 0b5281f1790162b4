//! A counterexample as a person reads it: the replayed run's trace as
//! text (the lines of `tell run`) and as a Mermaid sequence diagram.

use telltale_vm::{ObsEvent, ProtocolMachine, TraceText};

/// The trace of a replayed counterexample, one line per event
/// (`t=3 A -> B : ping`).
pub fn trace_lines(machine: &ProtocolMachine) -> Vec<String> {
    let text = TraceText::of_machine(machine);
    machine.trace_iter().map(|e| text.line(e)).collect()
}

/// The messages and endings of a replayed counterexample as a Mermaid
/// sequence diagram: an arrow per message sent (with its label), a
/// crossed arrow per message lost, a note per coroutine that faulted.
pub fn mermaid(machine: &ProtocolMachine) -> String {
    let symbols = machine.symbols();
    let mut roles: Vec<String> = machine
        .image()
        .roles
        .iter()
        .map(|r| symbols.role_name(r.role))
        .collect();
    roles.dedup();
    let mut out = String::from("sequenceDiagram\n");
    for role in &roles {
        out.push_str(&format!("    participant {}\n", mermaid_name(role)));
    }
    let role_of = |coro| {
        machine
            .coroutine(coro)
            .map(|c| mermaid_name(&symbols.role_name(c.role)))
    };
    for event in machine.trace_iter() {
        match event {
            ObsEvent::Sent(m) | ObsEvent::Offered(m) => {
                let label = symbols.label(m.label).map_or("?", |l| l.name());
                out.push_str(&format!(
                    "    {}->>{}: {}\n",
                    mermaid_name(&symbols.role_name(m.from)),
                    mermaid_name(&symbols.role_name(m.to)),
                    label
                ));
            }
            ObsEvent::Lost(m) => {
                let label = symbols.label(m.label).map_or("?", |l| l.name());
                out.push_str(&format!(
                    "    {}-x{}: {} (lost)\n",
                    mermaid_name(&symbols.role_name(m.from)),
                    mermaid_name(&symbols.role_name(m.to)),
                    label
                ));
            }
            ObsEvent::Faulted { coro, fault, .. } => {
                if let Some(role) = role_of(*coro) {
                    out.push_str(&format!(
                        "    Note over {role}: faulted: {}\n",
                        mermaid_text(&fault.to_string())
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// A role name Mermaid accepts as a participant id (`W[1]` becomes `W_1`).
fn mermaid_name(role: &str) -> String {
    role.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_end_matches('_')
        .to_string()
}

/// Text safe inside a Mermaid note (no `;` or `#`, which it parses).
fn mermaid_text(text: &str) -> String {
    text.replace([';', '#'], ",")
}
