//! Laws of the theory, checked on random well-formed global types and
//! their projections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use proptest::prelude::*;
use support::{global_types, rename_global, rename_local, reverse_global, reverse_local};
use telltale_theory::{
    alpha_equivalent, are_dual, check_global, check_local, dual, equivalent, project, project_all,
    unfold, unfold_head,
};
use telltale_types::json::{global_from_json, global_to_json, local_from_json, local_to_json};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn generated_types_are_well_formed(g in global_types()) {
        prop_assert_eq!(check_global(&g), Ok(()), "{}", g);
    }

    #[test]
    fn projections_are_well_formed(g in global_types()) {
        for (role, local) in project_all(&g).unwrap() {
            prop_assert_eq!(check_local(&local), Ok(()), "{} in {}: {}", role, g, local);
        }
    }

    #[test]
    fn dual_is_an_involution(g in global_types()) {
        for local in project_all(&g).unwrap().values() {
            let twice = dual(&dual(local));
            prop_assert_eq!(&twice, local);
            prop_assert!(are_dual(local, &dual(local)), "{}", local);
        }
    }

    #[test]
    fn content_ids_ignore_variable_names_and_branch_order(g in global_types()) {
        let id = g.content_id().unwrap();
        prop_assert_eq!(rename_global(&g).content_id().unwrap(), id);
        prop_assert_eq!(reverse_global(&g).content_id().unwrap(), id);
        prop_assert!(alpha_equivalent(&g, &rename_global(&reverse_global(&g))));
        for local in project_all(&g).unwrap().values() {
            let id = local.content_id().unwrap();
            prop_assert_eq!(rename_local(local).content_id().unwrap(), id);
            prop_assert_eq!(reverse_local(local).content_id().unwrap(), id);
            prop_assert!(alpha_equivalent(local, &reverse_local(&rename_local(local))));
        }
    }

    #[test]
    fn projection_commutes_with_renaming(g in global_types()) {
        let original = project_all(&g).unwrap();
        let renamed = project_all(&rename_global(&g)).unwrap();
        prop_assert_eq!(original.len(), renamed.len());
        for (role, local) in &original {
            prop_assert!(alpha_equivalent(local, &renamed[role]), "{}: {} vs {}", role, local, renamed[role]);
        }
    }

    #[test]
    fn projecting_all_roles_at_once_agrees_with_one_by_one(g in global_types()) {
        let all = project_all(&g).unwrap();
        prop_assert_eq!(all.len(), g.roles().len());
        for (role, local) in &all {
            prop_assert_eq!(&project(&g, role).unwrap(), local);
        }
    }

    #[test]
    fn json_round_trips(g in global_types()) {
        prop_assert_eq!(&global_from_json(&global_to_json(&g).unwrap()).unwrap(), &g);
        for local in project_all(&g).unwrap().values() {
            prop_assert_eq!(&local_from_json(&local_to_json(local).unwrap()).unwrap(), local);
        }
    }

    #[test]
    fn unfolding_preserves_equivalence(g in global_types()) {
        prop_assert!(equivalent(&g, &unfold(&g)), "{}", g);
        prop_assert!(equivalent(&g, &unfold_head(&g).unwrap()), "{}", g);
        prop_assert!(equivalent(&g, &reverse_global(&rename_global(&g))), "{}", g);
        for local in project_all(&g).unwrap().values() {
            prop_assert!(equivalent(local, &unfold(local)), "{}", local);
            prop_assert!(equivalent(local, &unfold_head(local).unwrap()), "{}", local);
        }
    }
}

/// The generator must produce varied shapes, or the laws above prove little.
#[test]
fn generator_covers_recursion_choices_and_size() {
    let samples: Vec<_> = (0..200u64)
        .map(|seed| support::well_formed_global(seed, 30))
        .collect();
    let text: Vec<String> = samples.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|t| t.contains("rec ")));
    assert!(text.iter().filter(|t| t.contains(", ")).count() > 20);
    assert!(samples.iter().any(|g| g.message_count() >= 20));
    assert!(samples.iter().all(|g| g.message_count() <= 120));
    assert!(samples.iter().any(|g| g.roles().len() == 4));
}
