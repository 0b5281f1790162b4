use super::*;

fn sample() -> SimCheckpoint {
    SimCheckpoint {
        run: RunIdentity {
            simulator_version: SIMULATOR_VERSION.to_string(),
            scenario: "s".into(),
            scenario_sha256: "aa".repeat(32),
            protocol_sha256: "bb".repeat(32),
            seed: 5,
        },
        interval: Some(10),
        resume: RE_EXECUTE.into(),
        world: None,
        state: RoundState {
            round: 10,
            trace_lines: 4,
            trace_sha256: "cc".repeat(32),
            machine_sha256: "dd".repeat(32),
            machine_clock: 10,
            rng_next: 99,
            in_flight: 1,
        },
    }
}

#[test]
fn a_checkpoint_reads_back_what_was_written_and_its_bytes_are_stable() {
    let bytes = sample().to_bytes().unwrap();
    assert_eq!(bytes, sample().to_bytes().unwrap());
    assert_eq!(&bytes[..4], b"TTSC");
    assert_eq!(SimCheckpoint::from_bytes(&bytes).unwrap(), sample());
}

#[test]
fn damaged_bytes_are_typed_errors() {
    let bytes = sample().to_bytes().unwrap();
    let err = |b: &[u8]| SimCheckpoint::from_bytes(b).unwrap_err().to_string();
    assert_eq!(err(b""), CheckpointError::BadMagic.to_string());
    assert_eq!(err(b"{\"json\":1}"), CheckpointError::BadMagic.to_string());
    assert!(err(&bytes[..2]).starts_with("truncated"));
    assert!(err(&bytes[..20]).starts_with("truncated"));
    assert!(err(&bytes[..bytes.len() - 1]).starts_with("truncated"));
    let mut longer = bytes.clone();
    longer.push(b'\n');
    assert_eq!(
        err(&longer),
        "1 unexpected bytes after the checkpoint's body"
    );
    let mut flipped = bytes.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 1;
    assert_eq!(err(&flipped), CheckpointError::DigestMismatch.to_string());
    let mut version = bytes.clone();
    version[4] = 9;
    assert!(err(&version).starts_with("unsupported simulator checkpoint format version 9"));
    let mut length = bytes;
    length[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(err(&length).starts_with("truncated"));
}

#[test]
fn a_resume_mode_must_match_whether_the_world_is_there() {
    let refused = |resume: &str, world: Option<Vec<u8>>| {
        let mut c = sample();
        c.resume = resume.into();
        c.world = world;
        SimCheckpoint::from_bytes(&c.to_bytes().unwrap())
            .unwrap_err()
            .to_string()
    };
    assert!(refused("rewind", None).contains("unknown resume mode `rewind`"));
    assert!(refused(SNAPSHOT, None).contains("resume mode `snapshot` without a world"));
    assert!(refused(RE_EXECUTE, Some(vec![1])).contains("with a world"));
    let mut c = sample();
    c.resume = SNAPSHOT.into();
    c.world = Some(vec![1, 2, 3]);
    assert_eq!(
        SimCheckpoint::from_bytes(&c.to_bytes().unwrap()).unwrap(),
        c
    );
}

#[test]
fn another_run_is_refused_naming_what_differs() {
    let ours = sample().run;
    let check = |edit: fn(&mut RunIdentity)| {
        let mut theirs = ours.clone();
        edit(&mut theirs);
        theirs.check_against(&ours).unwrap_err()
    };
    assert!(matches!(
        check(|r| r.simulator_version = "0.0.0".into()),
        CheckpointError::SimulatorVersion { .. }
    ));
    assert!(matches!(
        check(|r| r.scenario = "other".into()),
        CheckpointError::OtherScenario { .. }
    ));
    assert!(matches!(
        check(|r| r.scenario_sha256 = "ee".repeat(32)),
        CheckpointError::ScenarioChanged { .. }
    ));
    assert!(matches!(
        check(|r| r.protocol_sha256 = "ee".repeat(32)),
        CheckpointError::OtherProtocol { .. }
    ));
    assert!(matches!(
        check(|r| r.seed = 6),
        CheckpointError::OtherSeed {
            found: 6,
            expected: 5
        }
    ));
    assert!(ours.check_against(&ours).is_ok());
}

#[test]
fn a_state_that_differs_is_a_divergence_naming_the_first_difference() {
    let c = sample();
    assert!(c.verify(&c.state).is_ok());
    let mut other = c.state.clone();
    other.rng_next = 7;
    other.in_flight = 3;
    assert_eq!(
        c.verify(&other).unwrap_err().to_string(),
        "the run diverged from the checkpoint at round 10: the world's generator is 7, the checkpoint has 99"
    );
}
