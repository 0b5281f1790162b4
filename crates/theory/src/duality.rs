//! Duality of two-party local types.
//!
//! The dual of a type is the behaviour of the peer at the other end of the
//! channel: every send becomes a receive of the same labels and vice versa,
//! with dual continuations. `dual(dual(T)) == T` for every `T`.

use crate::equivalence::bisimilar;
use telltale_types::stack::with_headroom;
use telltale_types::{LocalBranch, LocalType, Role};

/// The dual of a local type; partners are kept as they are.
pub fn dual(t: &LocalType) -> LocalType {
    dual_mapping_partner(t, &|partner| partner.clone())
}

/// The dual of a local type seen by `partner`: every communication in the
/// result is with `partner` (the role that owned `t`).
pub fn dual_with_partner(t: &LocalType, partner: impl Into<Role>) -> LocalType {
    let partner = partner.into();
    dual_mapping_partner(t, &|_| partner.clone())
}

fn dual_mapping_partner(t: &LocalType, rename: &dyn Fn(&Role) -> Role) -> LocalType {
    with_headroom(|| {
        let branches = |bs: &[LocalBranch]| -> Vec<LocalBranch> {
            bs.iter()
                .map(|b| {
                    LocalBranch::new(
                        b.label.clone(),
                        dual_mapping_partner(&b.continuation, rename),
                    )
                })
                .collect()
        };
        match t {
            LocalType::Send {
                partner,
                branches: bs,
            } => LocalType::Recv {
                partner: rename(partner),
                branches: branches(bs),
            },
            LocalType::Recv {
                partner,
                branches: bs,
            } => LocalType::Send {
                partner: rename(partner),
                branches: branches(bs),
            },
            LocalType::Rec { var, body } => {
                LocalType::rec(var.clone(), dual_mapping_partner(body, rename))
            }
            LocalType::Var(name) => LocalType::Var(name.clone()),
            LocalType::End => LocalType::End,
        }
    })
}

/// Whether `a` and `b` are dual: their unfoldings match send against
/// receive with the same labels, whatever the partner names and however
/// the recursions are written.
pub fn are_dual(a: &LocalType, b: &LocalType) -> bool {
    bisimilar(a, b, |(dir_a, _), (dir_b, _)| *dir_a == dir_b.dual())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::subst::unfold;
    use telltale_types::{Label, PayloadSort};

    fn client() -> LocalType {
        LocalType::rec(
            "t",
            LocalType::select(
                "Server",
                [
                    (
                        Label::new("ask", PayloadSort::String),
                        LocalType::recv(
                            "Server",
                            Label::new("answer", PayloadSort::Int),
                            LocalType::var("t"),
                        ),
                    ),
                    (Label::unit("quit"), LocalType::End),
                ],
            ),
        )
    }

    #[test]
    fn dual_swaps_directions() {
        let server = dual_with_partner(&client(), "Client");
        let expected = LocalType::rec(
            "t",
            LocalType::branch(
                "Client",
                [
                    (
                        Label::new("ask", PayloadSort::String),
                        LocalType::send(
                            "Client",
                            Label::new("answer", PayloadSort::Int),
                            LocalType::var("t"),
                        ),
                    ),
                    (Label::unit("quit"), LocalType::End),
                ],
            ),
        );
        assert_eq!(server, expected);
        assert_eq!(dual(&dual(&client())), client());
        assert!(matches!(dual(&client()), LocalType::Rec { .. }));
    }

    #[test]
    fn duality_is_checked_up_to_unfolding_and_partners() {
        let server = dual_with_partner(&client(), "Client");
        assert!(are_dual(&client(), &server));
        assert!(are_dual(&unfold(&client()), &server));
        assert!(!are_dual(&client(), &client()));
        assert!(are_dual(&LocalType::End, &LocalType::End));
        let wrong = LocalType::recv("Client", Label::unit("quit"), LocalType::End);
        assert!(!are_dual(&client(), &wrong));
    }
}
