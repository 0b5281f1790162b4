//! Laws of the subtyping checks on random closed, contractive local types.
#![allow(clippy::unwrap_used)]

mod subtyping_support;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use subtyping_support::{local_type, sync_subtype_of, Random};
use telltale_theory::{async_subtype, sync_subtype, AsyncSubtypeConfig, Fsm, Verdict};
use telltale_types::{Direction, Label, LocalType, Role};

/// An independent, obviously sound search for a definite violation of
/// `t ≤ u` at the very first step: `end` against an action, an input against
/// an output, or an output label the supertype can never send to that partner.
fn definite_violation(t: &LocalType, u: &LocalType) -> bool {
    let role = Role::new("self");
    let t = Fsm::from_local(&role, t).unwrap();
    let u = Fsm::from_local(&role, u).unwrap();
    let t_first: Vec<_> = t.outgoing(t.initial()).map(|e| e.action.clone()).collect();
    let u_first: Vec<_> = u.outgoing(u.initial()).map(|e| e.action.clone()).collect();
    match (t_first.first(), u_first.first()) {
        (None, None) => false,
        (None, Some(_)) | (Some(_), None) => true,
        (Some(ta), Some(ua)) => {
            if ta.direction == Direction::Recv && ua.direction == Direction::Send {
                return true;
            }
            ta.direction == Direction::Send
                && t_first.iter().any(|a| {
                    !u.transitions().iter().any(|e| {
                        e.action.direction == Direction::Send
                            && e.action.partner == a.partner
                            && e.action.label == a.label
                    })
                })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn subtyping_is_reflexive(seed in any::<u64>(), multiparty in any::<bool>()) {
        let partners: &[&str] = if multiparty { &["p", "q"] } else { &["p"] };
        let t = local_type(&mut Random::new(seed), partners, 4);
        prop_assert!(sync_subtype(&t, &t).unwrap(), "{t}");
        let verdict = async_subtype(&t, &t, &AsyncSubtypeConfig::default()).unwrap();
        prop_assert_eq!(verdict, Verdict::Subtype, "{}", t);
    }

    #[test]
    fn sync_subtypes_are_async_subtypes(seed in any::<u64>(), multiparty in any::<bool>()) {
        let partners: &[&str] = if multiparty { &["p", "q"] } else { &["p"] };
        let mut random = Random::new(seed);
        let sup = local_type(&mut random, partners, 4);
        let sub = sync_subtype_of(&sup, &mut random);
        prop_assert!(sync_subtype(&sub, &sup).unwrap(), "{sub} <= {sup}");
        let verdict = async_subtype(&sub, &sup, &AsyncSubtypeConfig::default()).unwrap();
        prop_assert_eq!(verdict, Verdict::Subtype, "{} <= {}", sub, sup);
    }

    #[test]
    fn async_agrees_with_sync_or_is_more_complete(seed in any::<u64>(), multiparty in any::<bool>()) {
        // On arbitrary pairs: whenever sync says yes, async says subtype, and
        // both checks always terminate with an answer.
        let partners: &[&str] = if multiparty { &["p", "q"] } else { &["p"] };
        let mut random = Random::new(seed);
        let t = local_type(&mut random, partners, 3);
        let u = local_type(&mut random, partners, 3);
        let sync = sync_subtype(&t, &u).unwrap();
        let verdict = async_subtype(&t, &u, &AsyncSubtypeConfig::default()).unwrap();
        if sync {
            prop_assert_eq!(verdict, Verdict::Subtype, "{} <= {}", t, u);
        }
    }

    #[test]
    fn dual_start_is_never_an_async_subtype(seed in any::<u64>()) {
        // A type that starts by receiving is never below one that starts by
        // sending: the subtype would delay the supertype's output.
        let mut random = Random::new(seed);
        let rest = local_type(&mut random, &["p"], 3);
        let sub = telltale_types::LocalType::recv("p", telltale_types::Label::unit("x"), rest.clone());
        let sup = telltale_types::LocalType::send("p", telltale_types::Label::unit("y"), rest);
        let verdict = async_subtype(&sub, &sup, &AsyncSubtypeConfig::default()).unwrap();
        prop_assert_eq!(verdict, Verdict::NotSubtype);
    }

    #[test]
    fn definite_violations_are_never_subtypes(seed in any::<u64>(), multiparty in any::<bool>()) {
        let partners: &[&str] = if multiparty { &["p", "q"] } else { &["p"] };
        let mut random = Random::new(seed);
        let t = local_type(&mut random, partners, 3);
        let u = local_type(&mut random, partners, 3);
        let verdict = async_subtype(&t, &u, &AsyncSubtypeConfig::default()).unwrap();
        if definite_violation(&t, &u) {
            prop_assert_ne!(verdict, Verdict::Subtype, "{} <= {}", t, u);
        }
    }

    #[test]
    fn anticipating_an_output_over_inputs_gives_a_subtype(seed in any::<u64>(), same_partner in any::<bool>()) {
        // U = p?{a . q!x . U1, b . q!x . U2} and T = q!x . p?{a . U1, b . U2}.
        let mut random = Random::new(seed);
        let out = if same_partner { "p" } else { "q" };
        let u1 = local_type(&mut random, &["p", "q"], 3);
        let u2 = local_type(&mut random, &["p", "q"], 3);
        let x = Label::unit("x");
        let sup = LocalType::branch("p", [
            (Label::unit("a"), LocalType::send(out, x.clone(), u1.clone())),
            (Label::unit("b"), LocalType::send(out, x.clone(), u2.clone())),
        ]);
        let sub = LocalType::send(out, x, LocalType::branch("p", [(Label::unit("a"), u1), (Label::unit("b"), u2)]));
        let verdict = async_subtype(&sub, &sup, &AsyncSubtypeConfig::default()).unwrap();
        prop_assert_eq!(verdict, Verdict::Subtype, "{} <= {}", sub, sup);
    }
}
