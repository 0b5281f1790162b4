//! The built-in deterministic decider of `tell serve`: the machine's
//! branch rule ([`ExitSteering`], so loops run and always end), fabricated
//! payloads, and a printed line for every message sent and received.

use std::collections::BTreeMap;
use telltale_choreography::{ChoreoError, ChoreoResult, Decider, Message, ProgramBranch, Value};
use telltale_compiler::{CompileError, ExitSteering, Interner, LabelId, MonitorTable, StateId};
use telltale_types::{Label, LocalType, Role};

/// Follows the role's monitor table through every message sent and
/// received, and chooses at each choice by [`ExitSteering`], the rule of
/// `tell run`'s default handler.
pub struct SeededDecider {
    steering: ExitSteering,
    monitor: MonitorTable,
    labels: Vec<Label>,
    state: StateId,
    visits: BTreeMap<StateId, u64>,
    counter: u64,
}

impl SeededDecider {
    /// A decider for the role whose local type is `local`, continuing
    /// every loop `free_iterations` times.
    pub fn new(local: &LocalType, seed: u64, free_iterations: u64) -> Result<Self, CompileError> {
        let mut interner = Interner::new();
        let monitor = MonitorTable::build(local, &mut interner)?;
        Ok(SeededDecider {
            steering: ExitSteering::new(seed, free_iterations),
            state: monitor.initial,
            monitor,
            labels: interner.symbols().labels.clone(),
            visits: BTreeMap::new(),
            counter: 0,
        })
    }

    /// The transition label of the current state named `name`.
    fn label_id(&self, name: &str) -> Option<LabelId> {
        let state = self.monitor.state(self.state);
        self.monitor
            .transitions_of(state)
            .iter()
            .map(|t| t.label)
            .find(|&l| {
                self.labels
                    .get(usize::from(l))
                    .is_some_and(|x| x.name() == name)
            })
    }

    /// Moves past the message `name` (a message the interpreter has already
    /// checked against the same local type).
    fn advance(&mut self, name: &str) {
        if let Some(next) = self
            .label_id(name)
            .and_then(|l| self.monitor.step(self.state, l))
        {
            self.state = next;
        }
    }
}

impl Decider for SeededDecider {
    fn choose(&mut self, role: &Role, to: &Role, options: &[ProgramBranch]) -> ChoreoResult<usize> {
        let ids: Vec<LabelId> = options
            .iter()
            .filter_map(|b| self.label_id(b.label.name()))
            .collect();
        let visit = self.visits.entry(self.state).or_insert(0);
        let current = *visit;
        *visit += 1;
        // `tell serve` runs one session: it draws like session 0 of `tell run`.
        let picked = self
            .steering
            .pick(&self.monitor, self.state, &ids, 0, current)
            .and_then(|l| self.labels.get(usize::from(l)))
            .and_then(|l| options.iter().position(|b| b.label.name() == l.name()));
        picked.ok_or_else(|| ChoreoError::Decision {
            role: role.clone(),
            reason: format!("no branch towards {to} to choose from"),
        })
    }

    fn payload(&mut self, role: &Role, to: &Role, label: &Label) -> ChoreoResult<Value> {
        self.advance(label.name());
        self.counter += 1;
        let value = match Value::default_for(&label.sort) {
            Value::Nat(_) => Value::Nat(self.counter),
            Value::Int(_) => Value::Int(i64::try_from(self.counter).unwrap_or(i64::MAX)),
            Value::Bool(_) => Value::Bool(self.counter % 2 == 0),
            Value::String(_) => Value::string(format!("{}-{}", label.name, self.counter)),
            other => other,
        };
        println!("{role} -> {to} : {}", shown(&label.name, &value));
        Ok(value)
    }

    fn received(&mut self, role: &Role, from: &Role, message: &Message) {
        self.advance(&message.label);
        println!(
            "{role} <- {from} : {}",
            shown(&message.label, &message.value)
        );
    }
}

/// `label(value)`, or just `label` for a unit payload.
fn shown(label: &str, value: &Value) -> String {
    match value {
        Value::Unit => label.to_string(),
        other => format!("{label}({other})"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use telltale_choreography::{program_from_local, Program};

    /// An outer loop whose exit branch holds an inner loop:
    /// `rec outer. B!{Again: outer, Finish: rec inner. B!{Next: inner, Quit: end}}`.
    fn nested() -> LocalType {
        LocalType::rec(
            "outer",
            LocalType::select(
                "B",
                [
                    (Label::unit("Again"), LocalType::var("outer")),
                    (
                        Label::unit("Finish"),
                        LocalType::rec(
                            "inner",
                            LocalType::select(
                                "B",
                                [
                                    (Label::unit("Next"), LocalType::var("inner")),
                                    (Label::unit("Quit"), LocalType::End),
                                ],
                            ),
                        ),
                    ),
                ],
            ),
        )
    }

    /// Drives the decider through `local`'s program as the interpreter
    /// would, and returns the labels chosen (at most `limit`).
    fn chosen(local: &LocalType, free: u64, limit: usize) -> Vec<String> {
        let program = program_from_local(local).unwrap();
        let mut decider = SeededDecider::new(local, 7, free).unwrap();
        let (a, b) = (Role::new("A"), Role::new("B"));
        let mut loops: Vec<(&str, &Program)> = Vec::new();
        let mut cursor = &program;
        let mut labels = Vec::new();
        while labels.len() < limit {
            cursor = match cursor {
                Program::Loop { name, body } => {
                    loops.push((name, cursor));
                    body
                }
                Program::Continue(name) => {
                    let (_, head) = loops.iter().rev().find(|(n, _)| n == name).unwrap();
                    head
                }
                Program::Choose { branches, .. } => {
                    let i = decider.choose(&a, &b, branches).unwrap();
                    decider.payload(&a, &b, &branches[i].label).unwrap();
                    labels.push(branches[i].label.name().to_string());
                    &branches[i].then
                }
                Program::End => break,
                other => panic!("unexpected {other:?}"),
            };
        }
        labels
    }

    #[test]
    fn nested_loops_end_with_no_free_iterations() {
        assert_eq!(chosen(&nested(), 0, 50), ["Finish", "Quit"]);
    }

    #[test]
    fn every_loop_continues_its_free_iterations_then_ends() {
        assert_eq!(
            chosen(&nested(), 1, 50),
            ["Again", "Finish", "Next", "Quit"]
        );
    }
}
