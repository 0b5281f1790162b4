//! A finished run's trace: its lines kept structured, rendered as JSONL
//! text only when read (and then once), and its machine events for the
//! replay-coherence contract, which compares them without text.

use super::entry::{message_text, Detail, Entry};
use serde::Serialize;
use std::fmt;
use std::io::{self, Write};
use std::sync::OnceLock;
use telltale_compiler::{RoleId, Symbols};
use telltale_types::EffectTable;
use telltale_vm::{CoroId, ObsEvent, ProtocolMachine, TraceText};

/// What names the ids of a trace's text: the protocol's symbols and
/// effects, the coroutines' roles, and the roles' names.
#[derive(Clone, Debug, Default)]
pub struct TraceNames {
    symbols: Symbols,
    effects: EffectTable,
    coroutines: Vec<(CoroId, RoleId)>,
    roles: Vec<String>,
}

impl TraceNames {
    /// The names of `machine`'s run (its resident coroutines by role, as
    /// `TraceText::of_machine` names them); `roles` names role ids.
    pub fn of_machine(machine: &ProtocolMachine, roles: Vec<String>) -> TraceNames {
        let mut coroutines = Vec::new();
        for session in machine.session_ids() {
            for coro in machine.coroutines_of(session) {
                if let Some(view) = machine.coroutine(coro) {
                    coroutines.push((coro, view.role));
                }
            }
        }
        TraceNames {
            symbols: machine.symbols().clone(),
            effects: machine.image().effects.clone(),
            coroutines,
            roles,
        }
    }

    fn text(&self) -> TraceText<'_> {
        self.coroutines.iter().fold(
            TraceText::new(&self.symbols).with_effects(&self.effects),
            |text, &(coro, role)| text.with_role(coro, role),
        )
    }

    fn role(&self, role: RoleId) -> String {
        self.roles
            .get(usize::from(role))
            .map_or_else(|| "?".to_string(), Clone::clone)
    }
}

/// One JSONL line.
#[derive(Serialize)]
struct Line<'a> {
    tick: u64,
    kind: &'a str,
    detail: &'a str,
}

fn json_line(tick: u64, kind: &str, detail: &str) -> String {
    serde_json::to_string(&Line { tick, kind, detail })
        .unwrap_or_else(|e| format!("{{\"serialisation_error\":\"{e}\"}}"))
}

/// A run's trace. Its text (one JSON object per line: `tick`, `kind` and a
/// readable `detail`) is rendered on first read and kept.
pub struct Trace {
    entries: Vec<Entry>,
    events: Vec<ObsEvent>,
    len: usize,
    names: TraceNames,
    lines: OnceLock<Vec<String>>,
}

impl Trace {
    pub(super) fn new(
        entries: Vec<Entry>,
        events: Vec<ObsEvent>,
        len: usize,
        names: TraceNames,
    ) -> Trace {
        Trace {
            entries,
            events,
            len,
            names,
            lines: OnceLock::new(),
        }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the trace has no line.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The lines as JSONL text (without newlines), rendered on first call.
    pub fn lines(&self) -> &[String] {
        self.lines.get_or_init(|| {
            let mut lines = Vec::with_capacity(self.len);
            self.render(|line| lines.push(line));
            lines
        })
    }

    /// Writes the lines, each ending in a newline (the `--trace` file):
    /// the bytes whose lines [`Trace::lines`] gives.
    pub fn write_jsonl(&self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(lines) = self.lines.get() {
            for line in lines {
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
            return Ok(());
        }
        let mut result = Ok(());
        self.render(|line| {
            if result.is_ok() {
                result = out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"));
            }
        });
        result
    }

    /// The machine events, in order, each with the tick of its line.
    pub fn machine_events(&self) -> impl Iterator<Item = (u64, &ObsEvent)> + '_ {
        let ticks = self.entries.iter().flat_map(|e| {
            let count = match e.detail {
                Detail::Machine { count } => count as usize,
                _ => 0,
            };
            std::iter::repeat(e.tick).take(count)
        });
        ticks.zip(self.events.iter())
    }

    /// The JSONL line of a machine event of this trace.
    pub fn machine_line(&self, tick: u64, event: &ObsEvent) -> String {
        json_line(tick, "machine", &self.names.text().line(event))
    }

    fn render(&self, mut line: impl FnMut(String)) {
        let text = self.names.text();
        let label = |l| self.names.symbols.label_name(l);
        let mut events = self.events.iter();
        for e in &self.entries {
            match &e.detail {
                Detail::Machine { count } => {
                    for event in events.by_ref().take(*count as usize) {
                        line(json_line(e.tick, "machine", &text.line(event)));
                    }
                }
                Detail::Message { kind, edge, note } => {
                    let detail = message_text(*edge, *note, |r| self.names.role(r), label);
                    line(json_line(e.tick, kind.name(), &detail));
                }
                Detail::Text(t) => line(json_line(e.tick, &t.kind, &t.detail)),
            }
        }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("lines", &self.len)
            .field("machine_events", &self.events.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Edge, MessageKind, Note, SimTrace};
    use super::*;
    use telltale_compiler::Value;
    use telltale_types::{Label, Role};
    use telltale_vm::MessageEvent;

    fn names() -> TraceNames {
        TraceNames {
            symbols: Symbols {
                roles: vec![Role::new("A"), Role::new("B")],
                labels: vec![Label::unit("Ping")],
            },
            effects: EffectTable::default(),
            coroutines: vec![(0, 0), (1, 1)],
            roles: vec!["A".into(), "B".into()],
        }
    }

    #[test]
    fn the_text_is_rendered_in_order_and_written_as_read() {
        let mut t = SimTrace::default();
        let edge = Edge {
            from: 0,
            to: 1,
            label: 0,
            seq: 0,
        };
        t.push(1, "fault", "#0 message_delay");
        let mut events = vec![
            ObsEvent::Sent(MessageEvent {
                tick: 1,
                session: 0,
                from: 0,
                to: 1,
                label: 0,
                seq: 0,
                payload: Value::Int(5),
            }),
            ObsEvent::Halted { tick: 1, coro: 1 },
        ];
        for e in &events {
            t.push_machine(1, e);
        }
        t.keep_events(&mut events);
        t.push_message(3, MessageKind::Deliver, edge, Note::Plain);
        t.push("\"quoted\"".len() as u64, "observe", "B observed k = \"v\"");
        let (trace, _) = t.finish(names());
        let expected = [
            r##"{"tick":1,"kind":"fault","detail":"#0 message_delay"}"##,
            r#"{"tick":1,"kind":"machine","detail":"t=1 A -> B : Ping(5)"}"#,
            r#"{"tick":1,"kind":"machine","detail":"t=1 B done"}"#,
            r#"{"tick":3,"kind":"deliver","detail":"A -> B : Ping (seq 0)"}"#,
            r#"{"tick":8,"kind":"observe","detail":"B observed k = \"v\""}"#,
        ];
        let mut written = Vec::new();
        trace.write_jsonl(&mut written).unwrap();
        assert_eq!(trace.lines(), expected);
        assert_eq!(trace.len(), 5);
        let mut again = Vec::new();
        trace.write_jsonl(&mut again).unwrap();
        assert_eq!(written, again);
        assert_eq!(
            String::from_utf8(written).unwrap(),
            expected.map(|l| format!("{l}\n")).concat()
        );
        let machine: Vec<u64> = trace.machine_events().map(|(t, _)| t).collect();
        assert_eq!(machine, [1, 1]);
    }
}
