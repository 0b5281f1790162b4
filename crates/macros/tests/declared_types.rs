//! Enumerations declared in the protocol source (`type Vote = | ...`) are
//! generated in the protocol's module and travel as their constructor index,
//! which is also how postcard encodes a serde enum.
#![allow(clippy::unwrap_used, missing_docs)]

use telltale_choreography::{InMemoryHandler, Value};
use telltale_types::Role;

telltale_macros::choreography!(
    r#"
type Vote = | Approve | Reject | Abstain

protocol Ballot =
  roles Voter, Tally
  Voter -> Tally : Cast of Vote
  Tally -> Voter : Counted of Vote
"#
);

#[test]
fn a_declared_enumeration_is_generated_and_carried() {
    let mut network = InMemoryHandler::network(["Voter", "Tally"]);
    let mut voter = network.remove(&Role::new("Voter")).unwrap();
    let mut tally = network.remove(&Role::new("Tally")).unwrap();
    let (mut voter_endpoint, mut tally_endpoint) = ((), ());
    let (echoed, counted) = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            tokio::join!(
                ballot::run_voter(&mut voter, &mut voter_endpoint, |s| async move {
                    let s = s.send(ballot::Cast(ballot::Vote::Abstain)).await?;
                    let (ballot::Counted(vote), s) = s.recv().await?;
                    Ok(s.finish(vote))
                }),
                ballot::run_tally(&mut tally, &mut tally_endpoint, |s| async move {
                    let (ballot::Cast(vote), s) = s.recv().await?;
                    Ok(s.send(ballot::Counted(vote)).await?.finish(vote))
                }),
            )
        });
    assert_eq!(echoed.unwrap(), ballot::Vote::Abstain);
    assert_eq!(counted.unwrap(), ballot::Vote::Abstain);
}

#[test]
fn the_wire_form_is_the_postcard_form_of_a_serde_enum() {
    #[derive(serde::Serialize)]
    enum HostVote {
        Approve,
        Reject,
        Abstain,
    }
    for (generated, host) in [
        (ballot::Vote::Approve, HostVote::Approve),
        (ballot::Vote::Reject, HostVote::Reject),
        (ballot::Vote::Abstain, HostVote::Abstain),
    ] {
        assert_eq!(
            Value::encode(&host).unwrap(),
            Value::bytes(vec![generated.wire_index()])
        );
        assert_eq!(
            ballot::Vote::from_wire_index(generated.wire_index()),
            Some(generated)
        );
    }
    assert_eq!(ballot::Vote::from_wire_index(3), None);
}
