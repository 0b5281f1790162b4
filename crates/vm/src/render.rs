//! Human-readable rendering of observable events, with role and label names,
//! for command-line output and diagnostics.

use crate::event::{MessageEvent, ObsEvent};
use std::fmt::Write;
use telltale_compiler::Symbols;

/// Renders one event on one line, e.g. `t=3 s0 A -> B sent ping(5)`.
pub fn render_event(event: &ObsEvent, symbols: &Symbols) -> String {
    let message = |verb: &str, m: &MessageEvent| {
        format!(
            "t={} s{} {} -> {} {verb} {}({})",
            m.tick,
            m.session,
            symbols.role_name(m.from),
            symbols.role_name(m.to),
            symbols.label_name(m.label),
            m.payload
        )
    };
    match event {
        ObsEvent::Opened {
            tick,
            session,
            roles,
        } => {
            let mut names = String::new();
            for (i, r) in roles.iter().enumerate() {
                if i > 0 {
                    names.push_str(", ");
                }
                let _ = write!(names, "{}", symbols.role_name(*r));
            }
            format!("t={tick} s{session} opened [{names}]")
        }
        ObsEvent::Sent(m) => message("sent", m),
        ObsEvent::Offered(m) => message("offered", m),
        ObsEvent::Received(m) => message("received", m),
        ObsEvent::Chose(m) => message("chose", m),
        ObsEvent::Dropped(m) => message("dropped", m),
        ObsEvent::Overwritten(m) => message("overwritten", m),
        ObsEvent::BufferResized {
            tick,
            session,
            from,
            to,
            capacity,
        } => format!(
            "t={tick} s{session} {} -> {} buffer resized to {capacity}",
            symbols.role_name(*from),
            symbols.role_name(*to)
        ),
        ObsEvent::Invoked { tick, coro, action } => {
            format!("t={tick} c{coro} invoked action {action}")
        }
        ObsEvent::Blocked { tick, coro, reason } => format!("t={tick} c{coro} blocked {reason:?}"),
        ObsEvent::Yielded { tick, coro } => format!("t={tick} c{coro} yielded"),
        ObsEvent::Spawned {
            tick,
            parent,
            child,
            pc,
        } => format!("t={tick} c{parent} spawned c{child} at {pc}"),
        ObsEvent::Halted { tick, coro } => format!("t={tick} c{coro} halted"),
        ObsEvent::FailureBranchEntered {
            tick,
            session,
            coro,
            fault,
        } => format!("t={tick} s{session} c{coro} failure branch: {fault}"),
        ObsEvent::Faulted { tick, coro, fault } => format!("t={tick} c{coro} faulted: {fault}"),
        ObsEvent::Closed { tick, session } => format!("t={tick} s{session} closed"),
        ObsEvent::EpochAdvanced {
            tick,
            session,
            epoch,
        } => format!("t={tick} s{session} epoch {epoch}"),
        ObsEvent::TimeoutIssued { tick, session } => format!("t={tick} s{session} timeout"),
        ObsEvent::TimeoutBranch {
            tick,
            session,
            coro,
            from,
            label,
        } => format!(
            "t={tick} s{session} c{coro} timed out waiting on {}: took {}",
            symbols.role_name(*from),
            symbols.label_name(*label)
        ),
        ObsEvent::Cancelled { tick, session } => format!("t={tick} s{session} cancelled"),
        ObsEvent::Topology { tick, event } => format!("t={tick} topology {event:?}"),
        ObsEvent::Acquired { tick, coro, layer } => {
            format!("t={tick} c{coro} acquired layer {layer}")
        }
        ObsEvent::Released { tick, coro, layer } => {
            format!("t={tick} c{coro} released layer {layer}")
        }
        ObsEvent::Forked { tick, coro, ghost } => format!("t={tick} c{coro} forked ghost {ghost}"),
        ObsEvent::Joined { tick, coro, ghost } => format!("t={tick} c{coro} joined ghost {ghost}"),
        ObsEvent::JoinRejected { tick, coro, ghost } => {
            format!("t={tick} c{coro} join of ghost {ghost} rejected")
        }
        ObsEvent::Aborted { tick, coro, ghost } => {
            format!("t={tick} c{coro} aborted ghost {ghost}")
        }
        ObsEvent::Delegated {
            tick,
            session,
            role,
            from,
            to,
        } => format!(
            "t={tick} s{session} endpoint {} delegated c{from} -> c{to}",
            symbols.role_name(*role)
        ),
        ObsEvent::Tagged { tick, coro, index } => format!("t={tick} c{coro} tagged fact #{index}"),
        ObsEvent::Checked {
            tick,
            coro,
            role,
            known,
        } => format!(
            "t={tick} c{coro} checked fact for {}: {known}",
            symbols.role_name(*role)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_compiler::Value;
    use telltale_types::{Label, Role};

    #[test]
    fn renders_names() {
        let symbols = Symbols {
            roles: vec![Role::new("A"), Role::new("B")],
            labels: vec![Label::unit("ping")],
        };
        let check = |e: ObsEvent, expected: &str| assert_eq!(render_event(&e, &symbols), expected);
        check(
            ObsEvent::Sent(MessageEvent {
                tick: 3,
                session: 0,
                from: 0,
                to: 1,
                label: 0,
                seq: 0,
                payload: Value::Int(5),
            }),
            "t=3 s0 A -> B sent ping(5)",
        );
        check(
            ObsEvent::Opened {
                tick: 0,
                session: 1,
                roles: vec![0, 1].into(),
            },
            "t=0 s1 opened [A, B]",
        );
        check(ObsEvent::Halted { tick: 9, coro: 2 }, "t=9 c2 halted");
        check(
            ObsEvent::Delegated {
                tick: 4,
                session: 0,
                role: 0,
                from: 0,
                to: 2,
            },
            "t=4 s0 endpoint A delegated c0 -> c2",
        );
        check(
            ObsEvent::Checked {
                tick: 5,
                coro: 1,
                role: 1,
                known: true,
            },
            "t=5 c1 checked fact for B: true",
        );
        check(
            ObsEvent::Acquired {
                tick: 6,
                coro: 1,
                layer: 3,
            },
            "t=6 c1 acquired layer 3",
        );
    }
}
