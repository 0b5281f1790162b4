//! Message authentication (`Config::message_auth = Ed25519`).
//!
//! Every endpoint (session, role) gets an ed25519 key pair derived
//! deterministically from `Config::auth_seed`, the session id and the role,
//! so runs are reproducible. A send signs a compact binary encoding of
//! (session id, sender, receiver, label id, sequence number, payload) with
//! the sender's key and extends the directed edge's SHA-256 hash chain:
//! `head' = SHA-256(head || message || signature)`, starting from 32 zero
//! bytes. The envelope carries the signature and the new head. A receive
//! checks both before anything else (before replay checks, the monitor step
//! and the handler): a signature that does not verify with the sender's
//! public key is [`crate::Fault::SignatureInvalid`], a head that does not
//! extend the receiver's view of the chain is
//! [`crate::Fault::AuthChainBroken`]; either way the message never reaches
//! the handler and nothing is committed.
//!
//! The seeded keys make runs reproducible but protect nothing: anyone who
//! knows the seed (it is in every checkpoint) can sign as any role. A
//! deployment gives the machine real keys instead,
//! [`crate::ProtocolMachine::use_role_keys`]: each role's public key, and
//! the private keys of the roles this machine runs. They are never
//! checkpointed (a restored machine is given them again).
//!
//! The chain is the history of messages the receiver can still consume: a
//! message dropped by the `Drop` policy does not extend it, and one that
//! overwrites an unread message (latest-value mode) extends the receiver's
//! head rather than the overwritten message's.

use crate::ids::SessionId;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use telltale_compiler::{LabelId, RoleId, Value};

/// The authentication material a signed envelope carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSeal {
    /// The sender's ed25519 signature (64 bytes) over the message encoding.
    pub signature: Box<[u8]>,
    /// The edge's hash-chain head after this message.
    pub chain: [u8; 32],
}

/// Why a received message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// Missing or non-verifying signature.
    Signature,
    /// The chain head does not extend the receiver's history.
    Chain,
}

/// The identity of a message: what a signature covers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MessageId<'a> {
    pub(crate) session: SessionId,
    pub(crate) from: RoleId,
    pub(crate) to: RoleId,
    pub(crate) label: LabelId,
    pub(crate) seq: u64,
    pub(crate) payload: &'a Value,
}

/// Per-session keys and per-edge chain heads.
///
/// A checkpoint keeps the chain heads; the keys are derived again from
/// `Config::auth_seed`, the session id and the roles on restore
/// ([`SessionAuth::rekey`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SessionAuth {
    pub(crate) width: usize,
    #[serde(skip)]
    signing: Vec<Option<SigningKey>>,
    #[serde(skip)]
    verifying: Vec<Option<VerifyingKey>>,
    pub(crate) send_heads: Vec<[u8; 32]>,
    pub(crate) recv_heads: Vec<[u8; 32]>,
    #[serde(skip)]
    scratch: Vec<u8>,
}

/// Real ed25519 keys for message signing, by role name: every role's
/// public key, and the private keys of the roles this machine runs (a
/// role without one here cannot send, a role without a public key cannot
/// be believed).
#[derive(Clone, Default)]
pub struct RoleKeys {
    /// Each role's public key.
    pub public: BTreeMap<String, VerifyingKey>,
    /// The private keys of the roles this machine runs.
    pub private: BTreeMap<String, SigningKey>,
}

impl std::fmt::Debug for RoleKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleKeys")
            .field("public", &self.public.keys().collect::<Vec<_>>())
            .field("private", &self.private.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// [`RoleKeys`] resolved to the image's role ids.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyTable {
    pub(crate) signing: Vec<Option<SigningKey>>,
    pub(crate) verifying: Vec<Option<VerifyingKey>>,
}

/// The deterministic signing key of one endpoint.
pub fn endpoint_signing_key(seed: u64, session: SessionId, role: RoleId) -> SigningKey {
    let mut h = Sha256::new();
    h.update(b"telltale-vm/ed25519-endpoint-key/v1");
    h.update(seed.to_le_bytes());
    h.update(session.to_le_bytes());
    h.update(role.to_le_bytes());
    SigningKey::from_bytes(&h.finalize().into())
}

impl SessionAuth {
    /// Keys for the session's roles (image role ids below `width`): the
    /// real ones of `keys` when given, else derived from `seed`.
    pub(crate) fn new(
        seed: u64,
        session: SessionId,
        roles: &[RoleId],
        width: usize,
        keys: Option<&KeyTable>,
    ) -> Self {
        let mut signing = vec![None; width];
        let mut verifying = vec![None; width];
        for &role in roles {
            let r = usize::from(role);
            if r >= width {
                continue;
            }
            match keys {
                Some(table) => {
                    signing[r] = table.signing.get(r).cloned().flatten();
                    verifying[r] = table.verifying.get(r).copied().flatten();
                }
                None => {
                    let key = endpoint_signing_key(seed, session, role);
                    verifying[r] = Some(key.verifying_key());
                    signing[r] = Some(key);
                }
            }
        }
        SessionAuth {
            width,
            signing,
            verifying,
            send_heads: vec![[0; 32]; width * width],
            recv_heads: vec![[0; 32]; width * width],
            scratch: Vec::with_capacity(64),
        }
    }

    /// Sets the keys again: after a restore (they are not checkpointed),
    /// or when real keys are given.
    pub(crate) fn rekey(
        &mut self,
        seed: u64,
        session: SessionId,
        roles: &[RoleId],
        keys: Option<&KeyTable>,
    ) {
        let fresh = SessionAuth::new(seed, session, roles, self.width, keys);
        self.signing = fresh.signing;
        self.verifying = fresh.verifying;
    }

    fn edge(&self, from: RoleId, to: RoleId) -> usize {
        usize::from(from) * self.width + usize::from(to)
    }

    /// Signs a message about to be enqueued. `advance` is false when the
    /// buffer drops it; `overwrite` is true when it replaces an unread
    /// message. `None` if the sender has no key (not a session role).
    pub(crate) fn seal(
        &mut self,
        id: MessageId<'_>,
        advance: bool,
        overwrite: bool,
    ) -> Option<Box<MessageSeal>> {
        let edge = self.edge(id.from, id.to);
        let key = self.signing.get(usize::from(id.from))?.as_ref()?;
        encode(&mut self.scratch, id);
        let signature = key.sign(&self.scratch).to_bytes();
        let base = if overwrite {
            self.recv_heads.get(edge)?
        } else {
            self.send_heads.get(edge)?
        };
        let chain = link(base, &self.scratch, &signature);
        if advance {
            self.send_heads[edge] = chain;
        }
        Some(Box::new(MessageSeal {
            signature: Box::new(signature),
            chain,
        }))
    }

    /// Checks a queued message; returns the chain head to commit once the
    /// receive succeeds.
    pub(crate) fn check(
        &mut self,
        id: MessageId<'_>,
        seal: Option<&MessageSeal>,
    ) -> Result<[u8; 32], AuthFailure> {
        let edge = self.edge(id.from, id.to);
        let seal = seal.ok_or(AuthFailure::Signature)?;
        let key = self
            .verifying
            .get(usize::from(id.from))
            .and_then(Option::as_ref)
            .ok_or(AuthFailure::Signature)?;
        let signature =
            Signature::from_slice(&seal.signature).map_err(|_| AuthFailure::Signature)?;
        encode(&mut self.scratch, id);
        key.verify(&self.scratch, &signature)
            .map_err(|_| AuthFailure::Signature)?;
        let head = self.recv_heads.get(edge).ok_or(AuthFailure::Chain)?;
        let expected = link(head, &self.scratch, &seal.signature);
        if expected != seal.chain {
            return Err(AuthFailure::Chain);
        }
        Ok(expected)
    }

    /// Records a consumed message's chain head.
    pub(crate) fn commit_recv(&mut self, from: RoleId, to: RoleId, head: [u8; 32]) {
        let edge = self.edge(from, to);
        if let Some(h) = self.recv_heads.get_mut(edge) {
            *h = head;
        }
    }
}

/// The compact binary encoding a signature covers: a domain tag, then the
/// session id, sender, receiver, label id and sequence number in little
/// endian, then the postcard encoding of the payload.
fn encode(buf: &mut Vec<u8>, id: MessageId<'_>) {
    buf.clear();
    buf.extend_from_slice(b"TTVM-MSG1");
    buf.extend_from_slice(&id.session.to_le_bytes());
    buf.extend_from_slice(&id.from.to_le_bytes());
    buf.extend_from_slice(&id.to.to_le_bytes());
    buf.extend_from_slice(&id.label.to_le_bytes());
    buf.extend_from_slice(&id.seq.to_le_bytes());
    match postcard::to_allocvec(id.payload) {
        Ok(bytes) => buf.extend_from_slice(&bytes),
        // Unguarded encoding takes values of any depth; a marker keeps the
        // header signed should it ever fail.
        Err(_) => buf.push(0xFF),
    }
}

/// One hash-chain link.
fn link(prev: &[u8; 32], message: &[u8], signature: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(message);
    h.update(signature);
    h.finalize().into()
}

impl crate::machine::ProtocolMachine {
    /// Test hook: edits the oldest queued message of the edge `from -> to`
    /// of a session in place (to simulate tampering in transit). Returns
    /// whether a message was there.
    #[cfg(any(test, feature = "test-hooks"))]
    pub fn tamper_queued_message(
        &mut self,
        session: SessionId,
        from: RoleId,
        to: RoleId,
        edit: impl FnOnce(&mut crate::buffer::Envelope),
    ) -> bool {
        let Some(slot) = self.sessions.slot(session) else {
            return false;
        };
        let Some(edge) = self
            .sessions
            .by_slot_mut(slot)
            .and_then(|s| s.edge_mut(from, to))
        else {
            return false;
        };
        match edge.buffer.front_mut() {
            Some(envelope) => {
                edit(envelope);
                true
            }
            None => false,
        }
    }
}
