//! The whole pipeline on random protocols: generate a well-formed global
//! type, project it with the real projector, compile every role, run them on
//! the protocol machine, and check that every coroutine finishes and every
//! edge delivers exactly what was sent, in order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod protocol_gen;

use proptest::prelude::*;
use protocol_gen::{build, looping, shape};
use std::collections::BTreeMap;
use telltale_compiler::CodeImage;
use telltale_theory::projection::project_all;
use telltale_theory::well_formed::check_global;
use telltale_types::GlobalType;
use telltale_vm::{load_image_all_roles, Config, DefaultHandler, ObsEvent, RunStatus};

fn run_and_check(global: &GlobalType, seed: u64) -> Result<(), TestCaseError> {
    prop_assert!(
        check_global(global).is_ok(),
        "generated type is ill formed: {global}"
    );
    let locals: Vec<_> = project_all(global).unwrap().into_iter().collect();
    let image = CodeImage::build(Some(global), &locals).unwrap();
    let mut machine = load_image_all_roles(image, Config::default()).unwrap();
    let status = machine.run(&DefaultHandler::new(seed), 200_000).unwrap();
    prop_assert_eq!(status, RunStatus::AllDone, "{}", global);
    let mut sent: BTreeMap<_, Vec<_>> = BTreeMap::new();
    let mut received: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for event in machine.trace_iter() {
        match event {
            ObsEvent::Sent(m) | ObsEvent::Offered(m) => {
                sent.entry((m.session, m.from, m.to))
                    .or_default()
                    .push((m.label, m.payload.clone()));
            }
            ObsEvent::Received(m) | ObsEvent::Chose(m) => {
                received
                    .entry((m.session, m.from, m.to))
                    .or_default()
                    .push((m.label, m.payload.clone()));
            }
            _ => {}
        }
    }
    prop_assert!(!sent.is_empty());
    prop_assert_eq!(sent, received);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_protocols_finish_and_deliver_in_order(shapes in shape(3), n in 2..5usize, seed in 0..1000u64) {
        let mut counter = 0;
        let global = build(&shapes, n, GlobalType::End, &mut counter);
        run_and_check(&global, seed)?;
    }

    #[test]
    fn random_loops_finish_and_deliver_in_order(shapes in shape(2), n in 2..5usize, seed in 0..1000u64) {
        run_and_check(&looping(&shapes, n), seed)?;
    }
}
