//! Every bundled example protocol generates a typed session API that
//! compiles: the macro covers the whole language as the examples use it.
#![allow(clippy::unwrap_used, missing_docs)]

/// Declares empty serde structs standing in for a protocol's named payload types.
macro_rules! payload_types {
    ($($name:ident),*) => {
        $(
            #[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Default)]
            pub struct $name {
                pub data: Vec<u8>,
            }
        )*
    };
}

mod auction {
    telltale_macros::choreography!(file = "../../examples/auction.tell", params(N = 3));
}

mod consensus_round {
    pub mod consensus {
        payload_types!(Mutations, Proposal);
    }
    telltale_macros::choreography!(file = "../../examples/consensus.tell", params(N = 4));
}

mod heartbeat {
    telltale_macros::choreography!(file = "../../examples/heartbeat.tell");
}

mod ledger_effects {
    pub mod ledger {
        payload_types!(Digest, Entry, Receipt);
    }
    telltale_macros::choreography!(file = "../../examples/ledger_effects.tell");
}

mod map_reduce {
    pub mod mr {
        payload_types!(Chunk, Partial, Summary);
    }
    telltale_macros::choreography!(file = "../../examples/map_reduce.tell", params(N = 3));
}

mod parallel {
    telltale_macros::choreography!(file = "../../examples/parallel.tell");
}

mod ping_pong {
    telltale_macros::choreography!(file = "../../examples/ping_pong.tell");
}

mod request_response {
    pub mod examples {
        payload_types!(Page);
    }
    telltale_macros::choreography!(file = "../../examples/request_response.tell");
}

mod three_buyer {
    telltale_macros::choreography!(file = "../../examples/three_buyer.tell");
}

mod timeout {
    telltale_macros::choreography!(file = "../../examples/timeout.tell");
}

mod token_ring {
    telltale_macros::choreography!(file = "../../examples/token_ring.tell");
}

mod two_phase_commit {
    pub mod tx {
        payload_types!(Transaction);
    }
    telltale_macros::choreography!(file = "../../examples/two_phase_commit.tell", params(N = 3));
}

#[test]
fn every_example_generates_its_api() {
    let names = [
        auction::auction::NAME,
        consensus_round::consensus_round::NAME,
        heartbeat::watched::NAME,
        ledger_effects::transfer::NAME,
        map_reduce::map_reduce::NAME,
        parallel::parallel::NAME,
        ping_pong::ping_pong::NAME,
        request_response::fetch::NAME,
        three_buyer::three_buyer::NAME,
        timeout::timed_request::NAME,
        token_ring::token_ring::NAME,
        two_phase_commit::two_phase_commit::NAME,
    ];
    assert_eq!(names.len(), 12);
    assert!(names.iter().all(|n| !n.is_empty()));
}

#[test]
fn the_content_id_is_the_one_tell_check_computes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/ping_pong.tell");
    let file =
        telltale_lang::SourceFile::new("ping_pong.tell", std::fs::read_to_string(path).unwrap());
    let (module, diagnostics) = telltale_lang::load(&file);
    assert!(diagnostics.is_empty());
    let protocols = telltale_lang::lower_all(&module, &Default::default()).unwrap();
    let expected = protocols[0].global.content_id().unwrap();
    assert_eq!(ping_pong::ping_pong::CONTENT_ID, expected);
    assert_ne!(token_ring::token_ring::CONTENT_ID, expected);
}
