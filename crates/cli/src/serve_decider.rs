//! The built-in deterministic decider of `tell serve`: seeded branch
//! choices that always let loops end, fabricated payloads, and a printed
//! line for every message sent and received.

use telltale_choreography::{ChoreoResult, Decider, Message, Program, ProgramBranch, Value};
use telltale_types::random::SeededRng;
use telltale_types::stack::with_headroom;
use telltale_types::{Label, Role};

/// Picks branches from a seed for the first `free_choices` choices, then
/// prefers branches that leave every loop, so every run terminates.
pub struct SeededDecider {
    rng: SeededRng,
    choices_made: u64,
    free_choices: u64,
    counter: u64,
}

impl SeededDecider {
    /// A decider for `seed` that chooses freely `free_choices` times.
    pub fn new(seed: u64, free_choices: u64) -> Self {
        SeededDecider {
            rng: SeededRng::new(seed),
            choices_made: 0,
            free_choices,
            counter: 0,
        }
    }
}

/// Whether a program can jump back to an enclosing loop.
fn loops_back(program: &Program) -> bool {
    with_headroom(|| match program {
        Program::Continue(_) => true,
        Program::Send { then, .. } | Program::Recv { then, .. } => loops_back(then),
        Program::Choose { branches, .. } | Program::Offer { branches, .. } => {
            branches.iter().any(|b| loops_back(&b.then))
        }
        Program::Loop { body, .. } => loops_back(body),
        Program::Parallel { branches, then } => branches.iter().any(loops_back) || loops_back(then),
        Program::Timeout { body, then, .. } => loops_back(body) || loops_back(then),
        _ => false,
    })
}

impl Decider for SeededDecider {
    fn choose(
        &mut self,
        _role: &Role,
        _to: &Role,
        options: &[ProgramBranch],
    ) -> ChoreoResult<usize> {
        self.choices_made += 1;
        let count = options.len().max(1);
        if self.choices_made <= self.free_choices {
            return Ok(self.rng.index(count));
        }
        let leaving = options.iter().position(|b| !loops_back(&b.then));
        Ok(leaving.unwrap_or(count - 1))
    }

    fn payload(&mut self, role: &Role, to: &Role, label: &Label) -> ChoreoResult<Value> {
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
    use telltale_choreography::program_from_local;
    use telltale_types::LocalType;

    #[test]
    fn after_the_free_choices_loops_are_left() {
        let local = LocalType::rec(
            "t",
            LocalType::select(
                "B",
                [
                    (Label::unit("again"), LocalType::var("t")),
                    (Label::unit("stop"), LocalType::End),
                ],
            ),
        );
        let program = program_from_local(&local).unwrap();
        let Program::Loop { body, .. } = &program else {
            panic!("a rec becomes a loop");
        };
        let Program::Choose { branches, .. } = &**body else {
            panic!("a select becomes a choice");
        };
        let mut decider = SeededDecider::new(7, 0);
        let pick = decider
            .choose(&Role::new("A"), &Role::new("B"), branches)
            .unwrap();
        assert_eq!(branches[pick].label.name(), "stop");
    }
}
