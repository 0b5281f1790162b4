//! Every kind of scenario error, rendered as `sim-run` prints it: located
//! (file, line, column), with the closest valid key or role.
#![allow(clippy::unwrap_used)]

use telltale_simulator::{Plan, ScenarioError};

const HEAD: &str = "name = \"s\"\nprotocol = \"p.tell\"\n";

fn error(text: &str) -> ScenarioError {
    match Plan::parse("scenario.toml", text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

fn rendered(text: &str) -> String {
    error(text).to_string()
}

#[test]
fn a_misspelt_top_level_key_names_the_closest_one() {
    let e = error(&format!("{HEAD}stesp = 10\n"));
    assert!(
        matches!(&e, ScenarioError::UnknownKey { key, closest: Some(c), .. } if key == "stesp" && c == "steps")
    );
    insta::assert_snapshot!(e.to_string());
}

#[test]
fn a_misspelt_network_key_is_located_in_its_section() {
    insta::assert_snapshot!(rendered(&format!(
        "{HEAD}\n[network]\nloss_probabilty = \"0.1\"\n"
    )));
}

#[test]
fn a_missing_required_key_is_named() {
    let e = error("name = \"s\"\nsteps = 3\n");
    assert!(matches!(&e, ScenarioError::MissingKey { key, .. } if key == "protocol"));
    insta::assert_snapshot!(e.to_string());
}

#[test]
fn a_trigger_needs_exactly_one_condition() {
    let none = error(&format!(
        "{HEAD}\n[[events]]\ntrigger = {{}}\naction = {{ type = \"heal\" }}\n"
    ));
    assert!(matches!(&none, ScenarioError::Trigger { found, .. } if found.is_empty()));
    let two = error(&format!(
        "{HEAD}\n[[events]]\ntrigger = {{ at_tick = 5, random = \"0.5\" }}\naction = {{ type = \"heal\" }}\n"
    ));
    assert!(matches!(&two, ScenarioError::Trigger { found, .. } if found.len() == 2));
    insta::assert_snapshot!(format!("{none}\n{two}"));
}

#[test]
fn a_bad_probability_is_a_located_error() {
    insta::assert_snapshot!(rendered(&format!(
        "{HEAD}\n[network]\nloss_probability = \"1.5\"\n"
    )));
}

#[test]
fn a_value_of_the_wrong_type_is_a_located_error() {
    insta::assert_snapshot!(rendered(&format!("{HEAD}steps = \"many\"\n")));
}

#[test]
fn an_action_missing_a_key_names_it() {
    let e = error(&format!(
        "{HEAD}\n[[events]]\ntrigger = {{ at_tick = 5 }}\naction = {{ type = \"node_pause\", role = \"A\" }}\n"
    ));
    assert!(matches!(&e, ScenarioError::ActionKey { key, .. } if key == "duration_ticks"));
    insta::assert_snapshot!(e.to_string());
}

#[test]
fn an_unknown_action_type_lists_the_verbs() {
    insta::assert_snapshot!(rendered(&format!(
        "{HEAD}\n[[events]]\ntrigger = {{ at_tick = 5 }}\naction = {{ type = \"node_crsh\", role = \"A\" }}\n"
    )));
}

#[test]
fn budgets_and_windows_must_hold_something() {
    let zero = rendered(&format!(
        "{HEAD}\n[[events]]\ntrigger = {{ at_tick = 5 }}\naction = {{ type = \"heal\" }}\nbudget = {{ total = 0 }}\n"
    ));
    let mixed = rendered(&format!(
        "{HEAD}\n[[events]]\ntrigger = {{ at_tick = 5 }}\naction = {{ type = \"heal\" }}\nbudget = {{ total = 2, per_window = 1 }}\n"
    ));
    let window = rendered(&format!(
        "{HEAD}\n[[network.links]]\nfrom = \"A\"\nto = \"B\"\nactive = {{ from_tick = 9, to_tick = 9 }}\n"
    ));
    insta::assert_snapshot!(format!("{zero}\n{mixed}\n{window}"));
}

#[test]
fn a_malformed_property_says_why() {
    let typo = rendered(&format!(
        "{HEAD}\n[properties]\ninvariants = [\"no_faults\", \"deadlock_fre\"]\n"
    ));
    let argument = rendered(&format!(
        "{HEAD}\n[properties]\ninvariants = [\"type_monotonicity(3)\"]\n"
    ));
    insta::assert_snapshot!(format!("{typo}\n{argument}"));
}

#[test]
fn a_zero_checkpoint_interval_is_refused() {
    let zero = rendered(&format!("{HEAD}checkpoint_interval = 0\n"));
    insta::assert_snapshot!(zero);
    let plan = Plan::parse(
        "scenario.toml",
        &format!("{HEAD}checkpoint_interval = 10\n"),
    )
    .unwrap();
    assert_eq!(plan.checkpoint_interval, Some(10));
}

#[test]
fn a_misspelt_byzantine_strategy_names_the_closest_one() {
    let message = rendered(&format!(
        "{HEAD}\n[[byzantine]]\nrole = \"A\"\nstrategy = \"equivocat\"\n"
    ));
    assert!(message.contains("did you mean `equivocate`"), "{message}");
    assert!(message.contains("random_choice"), "{message}");
}

#[test]
fn a_role_not_in_the_protocol_names_the_closest_role() {
    let text = format!(
        "{HEAD}\n[[events]]\ntrigger = {{ at_tick = 5 }}\naction = {{ type = \"node_crash\", role = \"Pongr\" }}\n"
    );
    let plan = Plan::parse("scenario.toml", &text).unwrap();
    let e = plan
        .check_roles(&["Pinger".to_string(), "Ponger".to_string()])
        .unwrap_err();
    assert!(matches!(&e, ScenarioError::UnknownRole { closest: Some(c), .. } if c == "Ponger"));
    insta::assert_snapshot!(e.to_string());
}

#[test]
fn roles_are_checked_in_every_place_they_appear() {
    let places = [
        "roles = [\"Pinger\", \"Nobody\"]\n",
        "\n[[network.links]]\nfrom = \"Pinger\"\nto = \"Nobody\"\n",
        "\n[[events]]\ntrigger = { on_event = \"send:Nobody\" }\naction = { type = \"heal\" }\n",
        "\n[[events]]\ntrigger = { at_tick = 1 }\naction = { type = \"message_drop\", from = \"Nobody\" }\n",
        "\n[[events]]\ntrigger = { at_tick = 1 }\naction = { type = \"network_partition\", a = [\"Pinger\"], b = [\"Nobody\"] }\n",
        "\n[properties]\nhonest = [\"Nobody\"]\n",
    ];
    for extra in places {
        let plan = Plan::parse("scenario.toml", &format!("{HEAD}{extra}")).unwrap();
        let e = plan
            .check_roles(&["Pinger".to_string(), "Ponger".to_string()])
            .unwrap_err();
        assert!(
            matches!(&e, ScenarioError::UnknownRole { role, .. } if role == "Nobody"),
            "{extra}: {e}"
        );
    }
}
