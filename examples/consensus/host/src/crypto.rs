//! Deterministic stand-ins for the seed's cryptography: proofs are SHA-256
//! of the prior state and the collected mutations, and a prover "signs"
//! with a keyed SHA-256 over a key derived from its index. Every prover can
//! check every signature, which is what a simulation needs; a deployment
//! would use real signatures (ed25519) over the same messages.

use crate::host_types::{Digest, StateHash};
use sha2::{Digest as _, Sha256};

/// SHA-256 over length-prefixed parts, after a domain tag.
pub fn hash(domain: &str, parts: &[&[u8]]) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update((domain.len() as u64).to_le_bytes());
    hasher.update(domain.as_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The state every prover starts from.
pub fn genesis() -> StateHash {
    StateHash(hash("telltale.consensus.genesis", &[]))
}

/// The proof: the next state is the hash of the prior state and the
/// mutations, in order.
pub fn prove_state(prior: &StateHash, mutations: &[String]) -> StateHash {
    let mut parts: Vec<&[u8]> = vec![&prior.0];
    parts.extend(mutations.iter().map(|m| m.as_bytes()));
    StateHash(hash("telltale.consensus.state", &parts))
}

/// The signing key of prover `prover`.
fn key(prover: u64) -> Digest {
    hash("telltale.consensus.key", &[&prover.to_le_bytes()])
}

/// `prover`'s signature over `message`.
pub fn sign(prover: u64, message: &[u8]) -> Digest {
    hash("telltale.consensus.signature", &[&key(prover), message])
}

/// Whether `signature` is `prover`'s over `message`.
pub fn verify(prover: u64, message: &[u8], signature: &Digest) -> bool {
    sign(prover, message) == *signature
}

/// What a leader signs for a proposal header.
pub fn header_message(round: u64, leader: u64, state: &StateHash) -> Vec<u8> {
    let mut m = b"header".to_vec();
    m.extend_from_slice(&round.to_le_bytes());
    m.extend_from_slice(&leader.to_le_bytes());
    m.extend_from_slice(&state.0);
    m
}

/// What a voter signs: the round and the header it approves (or none).
pub fn vote_message(round: u64, voter: u64, approved: Option<&Digest>) -> Vec<u8> {
    let mut m = b"vote".to_vec();
    m.extend_from_slice(&round.to_le_bytes());
    m.extend_from_slice(&voter.to_le_bytes());
    if let Some(signature) = approved {
        m.extend_from_slice(signature);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_are_deterministic_and_depend_on_every_input() {
        let g = genesis();
        let a = prove_state(&g, &["x".into(), "y".into()]);
        assert_eq!(a, prove_state(&g, &["x".into(), "y".into()]));
        assert_ne!(a, prove_state(&g, &["y".into(), "x".into()]));
        assert_ne!(a, prove_state(&g, &["xy".into()]));
        assert_ne!(a, prove_state(&a, &["x".into(), "y".into()]));
    }

    #[test]
    fn a_signature_checks_only_for_its_signer_and_message() {
        let s = sign(2, b"m");
        assert!(verify(2, b"m", &s));
        assert!(!verify(1, b"m", &s));
        assert!(!verify(2, b"n", &s));
    }
}
