//! Tests of message signing: signed runs complete and are reproducible,
//! and a message altered in its buffer faults the receiver before the
//! handler sees it.

use crate::auth::MessageSeal;
use crate::config::{Config, MessageAuth};
use crate::effect::{EffectHandler, RecvInput, SendDecision, SendDecisionInput};
use crate::fault::{Fault, ProtocolMachineError};
use crate::kernel::RunStatus;
use crate::machine::ProtocolMachine;
use std::cell::Cell;
use telltale_compiler::{CodeImage, Value};
use telltale_types::{Label, LocalType, PayloadSort, Role};

struct Counting {
    received: Cell<u32>,
}

impl EffectHandler for Counting {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        Ok(SendDecision::Deliver {
            label: input.choices[0],
            payload: Value::Int(5),
        })
    }

    fn handle_recv(&self, _input: &RecvInput<'_>) -> Result<(), String> {
        self.received.set(self.received.get() + 1);
        Ok(())
    }
}

fn handler() -> Counting {
    Counting {
        received: Cell::new(0),
    }
}

fn signed(seed: u64) -> Config {
    Config {
        message_auth: MessageAuth::Ed25519,
        auth_seed: seed,
        ..Config::default()
    }
}

/// `A -> B : m(int) . B -> A : m(int) . end`, with A opened first.
fn machine(config: Config) -> ProtocolMachine {
    let m = Label::new("m", PayloadSort::Int);
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send(
                "B",
                m.clone(),
                LocalType::recv("B", m.clone(), LocalType::End),
            ),
        ),
        (
            Role::new("B"),
            LocalType::recv("A", m.clone(), LocalType::send("A", m, LocalType::End)),
        ),
    ];
    let image = CodeImage::build(None, &locals).unwrap();
    let mut machine = ProtocolMachine::new(image, config).unwrap();
    machine.open_all_roles().unwrap();
    machine
}

fn role(m: &ProtocolMachine, name: &str) -> u16 {
    m.symbols().role_id(name).unwrap()
}

/// Runs A's send (the first round) and returns the queued seal.
fn first_seal(m: &mut ProtocolMachine, h: &Counting) -> Option<MessageSeal> {
    m.step(h).unwrap();
    let (a, b) = (role(m, "A"), role(m, "B"));
    let mut seal = None;
    assert!(m.tamper_queued_message(0, a, b, |e| seal = e.seal.as_deref().cloned()));
    seal
}

#[test]
fn signed_runs_complete_and_are_reproducible() {
    let h = handler();
    let mut m = machine(signed(7));
    let seal = first_seal(&mut m, &h).expect("a signed envelope");
    assert_eq!(seal.signature.len(), 64);
    assert_eq!(m.run(&h, 100).unwrap(), RunStatus::AllDone);
    assert_eq!(h.received.get(), 2);

    let mut again = machine(signed(7));
    assert_eq!(first_seal(&mut again, &handler()), Some(seal.clone()));
    let mut other = machine(signed(8));
    assert_ne!(first_seal(&mut other, &handler()), Some(seal));
    let mut plain = machine(Config::default());
    assert_eq!(first_seal(&mut plain, &handler()), None);
}

fn tampered(edit: impl FnOnce(&mut crate::buffer::Envelope)) -> (Fault, u32) {
    let h = handler();
    let mut m = machine(signed(1));
    m.step(&h).unwrap();
    let (a, b) = (role(&m, "A"), role(&m, "B"));
    assert!(m.tamper_queued_message(0, a, b, edit));
    let fault = match m.run(&h, 100) {
        Err(ProtocolMachineError::Fault { fault, .. }) => fault,
        other => panic!("expected a fault, got {other:?}"),
    };
    (fault, h.received.get())
}

#[test]
fn an_altered_payload_fails_the_signature_before_the_handler() {
    let (fault, received) = tampered(|e| e.payload = Value::Int(6));
    assert!(
        matches!(fault, Fault::SignatureInvalid { seq: 0, .. }),
        "{fault:?}"
    );
    assert_eq!(received, 0);
}

#[test]
fn altered_headers_and_missing_seals_fail_the_signature() {
    let (fault, received) = tampered(|e| e.seq += 1);
    assert!(matches!(fault, Fault::SignatureInvalid { .. }), "{fault:?}");
    assert_eq!(received, 0);
    let (fault, _) = tampered(|e| e.seal = None);
    assert!(matches!(fault, Fault::SignatureInvalid { .. }), "{fault:?}");
    let (fault, _) = tampered(|e| {
        if let Some(seal) = e.seal.as_mut() {
            seal.signature = vec![0; 3].into_boxed_slice();
        }
    });
    assert!(matches!(fault, Fault::SignatureInvalid { .. }), "{fault:?}");
}

#[test]
fn an_altered_chain_link_breaks_the_chain() {
    let (fault, received) = tampered(|e| {
        if let Some(seal) = e.seal.as_mut() {
            seal.chain[0] ^= 1;
        }
    });
    assert!(
        matches!(fault, Fault::AuthChainBroken { seq: 0, .. }),
        "{fault:?}"
    );
    assert_eq!(received, 0);
}

/// A sends `m` twice before B receives once (cooperative scheduling).
fn burst(buffer: crate::buffer::BufferConfig) -> (Result<RunStatus, ProtocolMachineError>, u32) {
    let m = Label::new("m", PayloadSort::Int);
    let locals = vec![
        (
            Role::new("A"),
            LocalType::send(
                "B",
                m.clone(),
                LocalType::send("B", m.clone(), LocalType::End),
            ),
        ),
        (Role::new("B"), LocalType::recv("A", m, LocalType::End)),
    ];
    let config = Config {
        scheduler: crate::scheduler::SchedulerPolicy::Cooperative,
        buffer,
        ..signed(3)
    };
    let mut machine =
        ProtocolMachine::new(CodeImage::build(None, &locals).unwrap(), config).unwrap();
    machine.open_all_roles().unwrap();
    let h = handler();
    let r = machine.run(&h, 100);
    (r, h.received.get())
}

#[test]
fn overwritten_and_dropped_messages_keep_the_chain_consistent() {
    use crate::buffer::{BackpressurePolicy, BufferConfig, BufferMode};
    let latest = BufferConfig {
        mode: BufferMode::LatestValue,
        ..BufferConfig::default()
    };
    let (r, received) = burst(latest);
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert_eq!(received, 1);
    let dropping = BufferConfig {
        mode: BufferMode::Fifo,
        capacity: 1,
        policy: BackpressurePolicy::Drop,
    };
    let (r, received) = burst(dropping);
    assert_eq!(r.unwrap(), RunStatus::AllDone);
    assert_eq!(received, 1);
}

#[test]
fn a_signed_loop_verifies_every_message() {
    let report = crate::bench::pingpong_hardened(
        40,
        crate::bench::Hardening {
            message_auth: crate::config::MessageAuth::Ed25519,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(report.messages, 42);
    assert_eq!(report.workload, "pingpong-ed25519");
}

/// Real keys for A and B (private ones for the roles in `private`), A's
/// public key replaced by `a_public` when given.
fn real_keys(private: &[&str], a_public: Option<ed25519_dalek::VerifyingKey>) -> crate::RoleKeys {
    use ed25519_dalek::SigningKey;
    let key = |name: &str| SigningKey::from_bytes(&[name.as_bytes()[0]; 32]);
    let mut keys = crate::RoleKeys::default();
    for name in ["A", "B"] {
        keys.public.insert(name.into(), key(name).verifying_key());
    }
    if let Some(public) = a_public {
        keys.public.insert("A".into(), public);
    }
    for name in private {
        keys.private.insert((*name).into(), key(name));
    }
    keys
}

#[test]
fn real_role_keys_sign_instead_of_the_seed_and_are_never_checkpointed() {
    let h = handler();
    let mut m = machine(signed(7));
    m.use_role_keys(&real_keys(&["A", "B"], None)).unwrap();
    let seal = first_seal(&mut m, &h).expect("a signed envelope");
    let mut seeded = machine(signed(7));
    assert_ne!(first_seal(&mut seeded, &handler()), Some(seal));
    let bytes = m.checkpoint().unwrap().to_bytes();
    let private = ed25519_dalek::SigningKey::from_bytes(&[b'A'; 32]).to_bytes();
    assert!(
        !bytes.windows(32).any(|w| w == private),
        "a checkpoint holds no private key"
    );
    assert_eq!(m.run(&h, 100).unwrap(), RunStatus::AllDone);
    assert_eq!(h.received.get(), 2);
}

#[test]
fn a_signature_from_another_key_than_the_pinned_one_is_refused() {
    let h = handler();
    let mut m = machine(signed(7));
    // The machine believes A's public key is some other key's.
    let other = ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key();
    m.use_role_keys(&real_keys(&["A", "B"], Some(other)))
        .unwrap();
    match m.run(&h, 100) {
        Err(ProtocolMachineError::Fault { fault, .. }) => {
            assert!(matches!(fault, Fault::SignatureInvalid { .. }), "{fault}")
        }
        other => panic!("expected a signature fault, got {other:?}"),
    }
    assert_eq!(h.received.get(), 0, "nothing reached the handler");
    // A role with no private key here sends unsigned, and is refused too.
    let mut m = machine(signed(7));
    m.use_role_keys(&real_keys(&["B"], None)).unwrap();
    assert!(matches!(
        m.run(&handler(), 100),
        Err(ProtocolMachineError::Fault { .. })
    ));
    // An unknown role is an error, not ignored.
    let mut keys = real_keys(&["A"], None);
    keys.private
        .insert("Z".into(), ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
    assert!(machine(signed(7)).use_role_keys(&keys).is_err());
}
