//! `type_monotonicity`: a second opinion on every role's progress. Each
//! role's projected local type is walked with the sends, receives, timeout
//! branches and ends the machine reports; a role only ever moves forward
//! along its type, so an action its current position does not allow (or
//! an end while the type still expects something) is a violation. The
//! machine's own monitor enforces the same thing from compiled tables: the
//! walker checks it from the types themselves, independently.

use std::collections::BTreeMap;
use telltale_compiler::{CodeImage, RoleId};
use telltale_types::local::Direction;
use telltale_types::LocalType;

/// Where one role stands in its local type.
#[derive(serde::Serialize, serde::Deserialize)]
struct Position {
    /// The rest of the role's type.
    rest: LocalType,
    /// The recursion points in scope, by variable.
    scope: BTreeMap<String, LocalType>,
}

impl Position {
    /// Unfolds recursion until a communication or `end` heads the type.
    fn head(&mut self) -> &LocalType {
        // Each unfolding enters a `rec` body, and contractive types end
        // the loop; the bound guards against a non-contractive one.
        for _ in 0..1024 {
            match &self.rest {
                LocalType::Rec { var, body } => {
                    self.scope.insert(var.clone(), self.rest.clone());
                    self.rest = (**body).clone();
                }
                LocalType::Var(var) => match self.scope.get(var) {
                    Some(rec) => self.rest = rec.clone(),
                    None => break,
                },
                _ => break,
            }
        }
        &self.rest
    }
}

/// One action a role took, as the machine reported it.
#[derive(Clone, Copy, Debug)]
pub enum RoleAction<'a> {
    /// Sent (or chose and sent) `label` to `partner`.
    Send {
        /// The receiving role.
        partner: &'a str,
        /// The label sent.
        label: &'a str,
    },
    /// Received (or branched on, or took the timeout branch of) `label`
    /// from `partner`.
    Recv {
        /// The sending role.
        partner: &'a str,
        /// The label received.
        label: &'a str,
    },
    /// Finished.
    End,
}

/// Every role's position in its local type.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct TypeWalker {
    positions: BTreeMap<RoleId, Position>,
}

impl TypeWalker {
    /// Every role of `image` at the start of its local type.
    pub fn new(image: &CodeImage) -> TypeWalker {
        let positions = image
            .roles
            .iter()
            .map(|r| {
                let position = Position {
                    rest: r.local_type.clone(),
                    scope: BTreeMap::new(),
                };
                (r.role, position)
            })
            .collect();
        TypeWalker { positions }
    }

    /// Moves `role` past `action`, or says what its type expected instead.
    pub fn step(&mut self, role: RoleId, action: RoleAction<'_>) -> Result<(), String> {
        let Some(position) = self.positions.get_mut(&role) else {
            return Err("a role the protocol does not have acted".into());
        };
        let (direction, partner, label) = match action {
            RoleAction::Send { partner, label } => (Direction::Send, partner, label),
            RoleAction::Recv { partner, label } => (Direction::Recv, partner, label),
            RoleAction::End => {
                return match position.head() {
                    LocalType::End => Ok(()),
                    other => Err(format!("ended while its type expects {}", expected(other))),
                };
            }
        };
        let head = position.head();
        let verb = match direction {
            Direction::Send => "sent",
            Direction::Recv => "received",
        };
        let next = match head {
            LocalType::Send {
                partner: p,
                branches,
            } if direction == Direction::Send => (p.as_str() == partner).then_some(branches),
            LocalType::Recv {
                partner: p,
                branches,
            } if direction == Direction::Recv => (p.as_str() == partner).then_some(branches),
            _ => None,
        }
        .and_then(|branches| branches.iter().find(|b| &*b.label.name == label));
        match next {
            Some(branch) => {
                position.rest = branch.continuation.clone();
                Ok(())
            }
            None => Err(format!(
                "{verb} {label} ({}) while its type expects {}",
                match direction {
                    Direction::Send => format!("to {partner}"),
                    Direction::Recv => format!("from {partner}"),
                },
                expected(head)
            )),
        }
    }
}

/// What a type expects next, for a violation's text.
fn expected(t: &LocalType) -> String {
    let labels = |branches: &[telltale_types::local::LocalBranch]| {
        branches
            .iter()
            .map(|b| b.label.name.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match t {
        LocalType::Send { partner, branches } => {
            format!("a send to {partner} of {{{}}}", labels(branches))
        }
        LocalType::Recv { partner, branches } => {
            format!("a receive from {partner} of {{{}}}", labels(branches))
        }
        LocalType::End => "nothing more (end)".into(),
        LocalType::Rec { .. } | LocalType::Var(_) => "an unguarded recursion".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::Label;

    fn walker(local: LocalType) -> TypeWalker {
        TypeWalker {
            positions: [(
                0,
                Position {
                    rest: local,
                    scope: BTreeMap::new(),
                },
            )]
            .into_iter()
            .collect(),
        }
    }

    fn ping_loop() -> LocalType {
        LocalType::Rec {
            var: "t".into(),
            body: Box::new(LocalType::send(
                "B",
                Label::unit("ping"),
                LocalType::recv("B", Label::unit("pong"), LocalType::Var("t".into())),
            )),
        }
    }

    #[test]
    fn a_role_walks_forward_through_recursion() {
        let mut w = walker(ping_loop());
        for _ in 0..3 {
            w.step(
                0,
                RoleAction::Send {
                    partner: "B",
                    label: "ping",
                },
            )
            .unwrap();
            w.step(
                0,
                RoleAction::Recv {
                    partner: "B",
                    label: "pong",
                },
            )
            .unwrap();
        }
    }

    #[test]
    fn an_action_out_of_order_is_named_with_what_was_expected() {
        let mut w = walker(ping_loop());
        let err = w
            .step(
                0,
                RoleAction::Recv {
                    partner: "B",
                    label: "pong",
                },
            )
            .unwrap_err();
        assert_eq!(
            err,
            "received pong (from B) while its type expects a send to B of {ping}"
        );
        let err = w.step(0, RoleAction::End).unwrap_err();
        assert_eq!(err, "ended while its type expects a send to B of {ping}");
    }

    #[test]
    fn ending_at_end_is_fine_and_a_wrong_partner_is_not() {
        let mut w = walker(LocalType::send("B", Label::unit("x"), LocalType::End));
        assert!(w
            .step(
                0,
                RoleAction::Send {
                    partner: "C",
                    label: "x"
                }
            )
            .is_err());
        w.step(
            0,
            RoleAction::Send {
                partner: "B",
                label: "x",
            },
        )
        .unwrap();
        w.step(0, RoleAction::End).unwrap();
    }
}
