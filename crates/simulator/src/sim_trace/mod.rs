//! The run's trace: what the world recorded, line by line, and its
//! SHA-256 digest. Lines are kept structured (machine events, messages in
//! the network, a little text) and the digest is fed a stable binary
//! encoding of each (`encoding.rs`), so a round costs no formatting; the
//! JSONL text (one object per line, `tick`, `kind` and
//! a readable `detail`) is rendered only when it is read ([`Trace`]).
//! Nothing in either depends on the clock or on addresses, so a scenario
//! and seed give the same bytes and the same digest on any machine.

mod encoding;
mod entry;
mod trace;

pub use entry::{Edge, MessageKind, Note};
pub use trace::{Trace, TraceNames};

use entry::{Detail, Entry, TextLine};
use sha2::{Digest, Sha256};
use telltale_vm::ObsEvent;

/// What the digest starts with: names the encoding, so that a digest of
/// another encoding can never be mistaken for one of this.
const DIGEST_DOMAIN: &[u8] = b"telltale-sim-trace/2\n";

/// How many encoded bytes wait before they are hashed.
const HASH_BATCH: usize = 4096;

/// What a checkpoint keeps of the trace: every line so far, structured.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TraceState {
    entries: Vec<Entry>,
    events: Vec<ObsEvent>,
}

/// The trace being recorded.
pub struct SimTrace {
    entries: Vec<Entry>,
    /// The machine events of `Detail::Machine` lines, in order.
    events: Vec<ObsEvent>,
    /// Machine lines recorded whose events are not kept yet.
    pending: usize,
    lines: usize,
    hasher: Sha256,
    /// Encoded lines not hashed yet.
    pending_bytes: Vec<u8>,
}

impl Default for SimTrace {
    fn default() -> Self {
        let mut hasher = Sha256::new();
        hasher.update(DIGEST_DOMAIN);
        SimTrace {
            entries: Vec::new(),
            events: Vec::new(),
            pending: 0,
            lines: 0,
            hasher,
            pending_bytes: Vec::with_capacity(2 * HASH_BATCH),
        }
    }
}

impl SimTrace {
    /// Appends a line of text.
    pub fn push(&mut self, tick: u64, kind: &'static str, detail: &str) {
        encoding::text_line(&mut self.pending_bytes, tick, kind, detail);
        self.line_done();
        self.entries.push(Entry {
            tick,
            detail: Detail::Text(Box::new(TextLine {
                kind: kind.into(),
                detail: detail.into(),
            })),
        });
    }

    /// Appends a line about a message in the network (`deliver`, `lose`,
    /// `delay`, ...).
    pub fn push_message(&mut self, tick: u64, kind: MessageKind, edge: Edge, note: Note) {
        encoding::message(&mut self.pending_bytes, tick, kind.name(), edge, note);
        self.line_done();
        self.entries.push(Entry {
            tick,
            detail: Detail::Message { kind, edge, note },
        });
    }

    /// Appends the line of a machine event; the event itself is handed
    /// over afterwards with the others of its round
    /// ([`SimTrace::keep_events`]).
    pub fn push_machine(&mut self, tick: u64, event: &ObsEvent) {
        encoding::machine(&mut self.pending_bytes, tick, event);
        self.line_done();
        self.pending += 1;
        match self.entries.last_mut() {
            Some(Entry {
                tick: t,
                detail: Detail::Machine { count },
                ..
            }) if *t == tick && *count < u32::MAX => *count += 1,
            _ => self.entries.push(Entry {
                tick,
                detail: Detail::Machine { count: 1 },
            }),
        }
    }

    /// Keeps the events whose lines [`SimTrace::push_machine`] recorded
    /// since the last call, in the same order; empties `events`.
    pub fn keep_events(&mut self, events: &mut Vec<ObsEvent>) {
        debug_assert_eq!(events.len(), self.pending, "one event per machine line");
        self.pending = 0;
        self.events.append(events);
    }

    /// Counts a line whose bytes were appended, and hashes the bytes in
    /// batches (fewer, longer updates).
    fn line_done(&mut self) {
        self.lines += 1;
        if self.pending_bytes.len() >= HASH_BATCH {
            self.hasher.update(&self.pending_bytes);
            self.pending_bytes.clear();
        }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// The hex digest of the lines so far (what [`SimTrace::finish`]
    /// would give now), for checkpoints.
    pub fn digest_so_far(&self) -> String {
        let mut hasher = self.hasher.clone();
        hasher.update(&self.pending_bytes);
        hex(&hasher.finalize())
    }

    /// Every line recorded so far, for a checkpoint (at the end of a
    /// round: every machine line's event is kept by then).
    pub fn state(&self) -> TraceState {
        debug_assert_eq!(self.pending, 0, "a checkpoint between rounds");
        TraceState {
            entries: self.entries.clone(),
            events: self.events.clone(),
        }
    }

    /// The trace continued from a checkpoint's lines, its digest running
    /// over them as if it had recorded them (each line encoded again).
    pub fn resume(state: TraceState) -> Result<SimTrace, String> {
        let mut trace = SimTrace::default();
        let mut events = state.events.iter();
        for entry in &state.entries {
            match &entry.detail {
                Detail::Machine { count } => {
                    for _ in 0..*count {
                        let event = events.next().ok_or_else(|| {
                            "the trace has fewer machine events than lines".to_string()
                        })?;
                        encoding::machine(&mut trace.pending_bytes, entry.tick, event);
                        trace.line_done();
                    }
                }
                Detail::Message { kind, edge, note } => {
                    encoding::message(
                        &mut trace.pending_bytes,
                        entry.tick,
                        kind.name(),
                        *edge,
                        *note,
                    );
                    trace.line_done();
                }
                Detail::Text(text) => {
                    encoding::text_line(
                        &mut trace.pending_bytes,
                        entry.tick,
                        &text.kind,
                        &text.detail,
                    );
                    trace.line_done();
                }
            }
        }
        if events.next().is_some() {
            return Err("the trace has more machine events than lines".into());
        }
        trace.entries = state.entries;
        trace.events = state.events;
        Ok(trace)
    }

    /// The finished trace, its text named by `names`, and its hex digest.
    pub fn finish(mut self, names: TraceNames) -> (Trace, String) {
        self.hasher.update(&self.pending_bytes);
        let digest = hex(&self.hasher.finalize());
        (
            Trace::new(self.entries, self.events, self.lines, names),
            digest,
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_compiler::Value;
    use telltale_vm::MessageEvent;

    fn sent(tick: u64, seq: u64) -> ObsEvent {
        ObsEvent::Sent(MessageEvent {
            tick,
            session: 0,
            from: 0,
            to: 1,
            label: 0,
            seq,
            payload: Value::Int(7),
        })
    }

    fn record(f: impl Fn(&mut SimTrace)) -> String {
        let mut t = SimTrace::default();
        f(&mut t);
        t.digest_so_far()
    }

    #[test]
    fn the_digest_sees_every_field_and_the_order() {
        let edge = Edge {
            from: 0,
            to: 1,
            label: 0,
            seq: 3,
        };
        let base = record(|t| {
            t.push(1, "fault", "#0 heal");
            t.push_message(2, MessageKind::Deliver, edge, Note::Plain);
            t.push_machine(2, &sent(2, 0));
        });
        assert_eq!(
            base,
            record(|t| {
                t.push(1, "fault", "#0 heal");
                t.push_message(2, MessageKind::Deliver, edge, Note::Plain);
                t.push_machine(2, &sent(2, 0));
            })
        );
        let others = [
            record(|t| {
                t.push(1, "fault", "#0 heal ");
                t.push_message(2, MessageKind::Deliver, edge, Note::Plain);
                t.push_machine(2, &sent(2, 0));
            }),
            record(|t| {
                t.push(1, "fault", "#0 heal");
                t.push_message(2, MessageKind::Deliver, edge, Note::Network);
                t.push_machine(2, &sent(2, 0));
            }),
            record(|t| {
                t.push(1, "fault", "#0 heal");
                t.push_message(2, MessageKind::Deliver, edge, Note::Plain);
                t.push_machine(2, &sent(2, 1));
            }),
            record(|t| {
                t.push(1, "fault", "#0 heal");
                t.push_machine(2, &sent(2, 0));
                t.push_message(2, MessageKind::Deliver, edge, Note::Plain);
            }),
            record(|t| {
                t.push(1, "fault", "#0 heal");
                t.push_message(2, MessageKind::Delay, edge, Note::Plain);
                t.push_machine(2, &sent(2, 0));
            }),
        ];
        for other in others {
            assert_ne!(base, other);
        }
        assert_eq!(SimTrace::default().digest_so_far().len(), 64);
    }

    #[test]
    fn machine_lines_of_a_tick_share_an_entry_and_keep_their_events() {
        let mut t = SimTrace::default();
        let mut events = vec![sent(1, 0), sent(1, 1)];
        for e in &events {
            t.push_machine(1, e);
        }
        t.keep_events(&mut events);
        t.push(1, "reject", "x");
        let mut more = vec![sent(1, 2)];
        t.push_machine(1, &more[0]);
        t.keep_events(&mut more);
        assert!(events.is_empty() && more.is_empty());
        assert_eq!(t.entries.len(), 3);
        assert_eq!(t.len(), 4);
        assert_eq!(t.events.len(), 3);
    }
}
