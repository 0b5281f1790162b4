//! Every bundled example protocol generates a typed session API that
//! compiles: the macro covers the whole language as the examples use it.
#![allow(clippy::unwrap_used, missing_docs)]

use telltale_lang::{load, lower_all, LowerOptions, SourceFile};

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

mod lease {
    telltale_macros::choreography!(file = "../../examples/lease.tell");
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

mod replication {
    telltale_macros::choreography!(file = "../../examples/replication.tell");
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

mod two_phase_commit_deadline {
    pub mod tx {
        payload_types!(Transaction);
    }
    telltale_macros::choreography!(
        file = "../../examples/two_phase_commit_deadline.tell",
        params(N = 3)
    );
}

/// What the macro generated for one protocol, and where it came from.
struct Generated {
    file: &'static str,
    params: &'static [(&'static str, u64)],
    name: &'static str,
    global_type: &'static str,
    roles: Vec<&'static str>,
}

/// The generated constants and roles of one protocol module.
macro_rules! generated {
    ($($module:ident)::+, $file:literal $(, $param:literal = $value:literal)*) => {
        Generated {
            file: $file,
            params: &[$(($param, $value)),*],
            name: $($module)::+::NAME,
            global_type: $($module)::+::GLOBAL_TYPE,
            roles: $($module)::+::Role::ALL.iter().map(|r| r.name()).collect(),
        }
    };
}

fn generated() -> Vec<Generated> {
    vec![
        generated!(auction::auction, "auction.tell", "N" = 3),
        generated!(consensus_round::consensus_round, "consensus.tell", "N" = 4),
        generated!(heartbeat::watched, "heartbeat.tell"),
        generated!(ledger_effects::transfer, "ledger_effects.tell"),
        generated!(map_reduce::map_reduce, "map_reduce.tell", "N" = 3),
        generated!(parallel::parallel, "parallel.tell"),
        generated!(lease::lease, "lease.tell"),
        generated!(ping_pong::ping_pong, "ping_pong.tell"),
        generated!(replication::replication, "replication.tell"),
        generated!(request_response::fetch, "request_response.tell"),
        generated!(three_buyer::three_buyer, "three_buyer.tell"),
        generated!(timeout::timed_request, "timeout.tell"),
        generated!(token_ring::token_ring, "token_ring.tell"),
        generated!(
            two_phase_commit::two_phase_commit,
            "two_phase_commit.tell",
            "N" = 3
        ),
        generated!(
            two_phase_commit_deadline::two_phase_commit_deadline,
            "two_phase_commit_deadline.tell",
            "N" = 3
        ),
    ]
}

/// Every `.tell` file under `examples/` has a generated API above: a new
/// example must be added here, so the claim "every example" stays true.
#[test]
fn every_bundled_example_is_covered() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tell"))
        .collect();
    on_disk.sort();
    let mut covered: Vec<String> = generated().iter().map(|g| g.file.to_string()).collect();
    covered.sort();
    assert_eq!(covered, on_disk);
}

/// Each generated module is the protocol of its file: the same name, the
/// same global type (every message, in order) and the same roles, with role
/// families expanded to the given sizes, as lowering the file at run time.
#[test]
fn every_example_generates_its_protocol() {
    for g in generated() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(g.file);
        let file = SourceFile::new(g.file, std::fs::read_to_string(&path).unwrap());
        let (module, diagnostics) = load(&file);
        assert!(diagnostics.is_empty(), "{}: {diagnostics:?}", g.file);
        let options = LowerOptions {
            params: g.params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        };
        let lowered = lower_all(&module, &options).unwrap();
        let protocol = lowered
            .iter()
            .find(|p| p.name == g.name)
            .unwrap_or_else(|| panic!("{}: no protocol {}", g.file, g.name));
        assert_eq!(g.global_type, protocol.global.to_string(), "{}", g.file);
        let roles: Vec<&str> = protocol.roles.iter().map(|r| r.as_str()).collect();
        assert_eq!(g.roles, roles, "{}", g.file);
        assert!(protocol.global.message_count() > 0, "{}", g.file);
    }
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
