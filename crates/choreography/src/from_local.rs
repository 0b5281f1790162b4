//! `program_from_local`: a runnable program skeleton from a projected local type.

use crate::error::{ChoreoError, ChoreoResult};
use crate::program::{Program, ProgramBranch};
use telltale_types::stack::with_headroom;
use telltale_types::{LocalBranch, LocalType};

/// Turns a local type into the program that follows it step by step.
///
/// Single-label sends and receives become [`Program::Send`] and
/// [`Program::Recv`]; several labels become [`Program::Choose`] and
/// [`Program::Offer`]; `rec`/variables become loops and continues. The
/// interpreter checks every received message against the labels and sorts
/// kept in the program. A variable that no enclosing `rec` binds is an
/// [`ChoreoError::InvalidProgram`] error, as is a choice without branches.
pub fn program_from_local(local: &LocalType) -> ChoreoResult<Program> {
    let mut bound = Vec::new();
    convert(local, &mut bound)
}

fn convert(local: &LocalType, bound: &mut Vec<String>) -> ChoreoResult<Program> {
    with_headroom(|| match local {
        LocalType::Send { partner, branches } => match branches.as_slice() {
            [only] => Ok(Program::Send {
                to: partner.clone(),
                label: only.label.clone(),
                then: Box::new(convert(&only.continuation, bound)?),
            }),
            _ => Ok(Program::Choose {
                to: partner.clone(),
                branches: convert_branches(local, branches, bound)?,
            }),
        },
        LocalType::Recv { partner, branches } => match branches.as_slice() {
            [only] => Ok(Program::Recv {
                from: partner.clone(),
                label: only.label.clone(),
                then: Box::new(convert(&only.continuation, bound)?),
            }),
            _ => Ok(Program::Offer {
                from: partner.clone(),
                branches: convert_branches(local, branches, bound)?,
            }),
        },
        LocalType::Rec { var, body } => {
            bound.push(var.clone());
            let body = convert(body, bound);
            bound.pop();
            Ok(Program::Loop {
                name: var.clone(),
                body: Box::new(body?),
            })
        }
        LocalType::Var(var) => {
            if bound.iter().any(|b| b == var) {
                Ok(Program::Continue(var.clone()))
            } else {
                Err(ChoreoError::InvalidProgram {
                    reason: format!("recursion variable `{var}` is not bound by an enclosing rec"),
                })
            }
        }
        LocalType::End => Ok(Program::End),
    })
}

fn convert_branches(
    local: &LocalType,
    branches: &[LocalBranch],
    bound: &mut Vec<String>,
) -> ChoreoResult<Vec<ProgramBranch>> {
    if branches.is_empty() {
        return Err(ChoreoError::InvalidProgram {
            reason: format!("choice without branches in `{local}`"),
        });
    }
    branches
        .iter()
        .map(|b| {
            Ok(ProgramBranch::new(
                b.label.clone(),
                convert(&b.continuation, bound)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use telltale_types::Label;

    fn check(local: LocalType, expected: &str) {
        let program = program_from_local(&local).unwrap();
        assert_eq!(program.to_string(), expected);
    }

    #[test]
    fn local_types_become_programs() {
        check(
            LocalType::send(
                "B",
                Label::unit("ping"),
                LocalType::recv("B", Label::unit("pong"), LocalType::End),
            ),
            "B!ping(unit) . B?pong(unit) . end",
        );
        check(
            LocalType::rec(
                "t",
                LocalType::branch(
                    "A",
                    [
                        (Label::unit("more"), LocalType::var("t")),
                        (Label::unit("stop"), LocalType::End),
                    ],
                ),
            ),
            "loop t { A?{ more(unit) . continue t, stop(unit) . end } }",
        );
    }

    #[test]
    fn free_variables_and_empty_choices_are_refused() {
        let free = LocalType::send("B", Label::unit("m"), LocalType::var("x"));
        assert!(matches!(
            program_from_local(&free),
            Err(ChoreoError::InvalidProgram { .. })
        ));
        let empty = LocalType::Send {
            partner: "B".into(),
            branches: vec![],
        };
        assert!(program_from_local(&empty).is_err());
    }

    #[test]
    fn deep_local_types_convert() {
        let mut t = LocalType::End;
        for _ in 0..100_000 {
            t = LocalType::send("B", Label::unit("m"), t);
        }
        assert!(program_from_local(&t).is_ok());
    }
}
