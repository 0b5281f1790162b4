//! Secure channels: once the hellos are exchanged, two roles whose roster
//! pins both keys run a Noise handshake (`Noise_KK_25519_ChaChaPoly_BLAKE2s`,
//! both static keys known in advance), and every later frame travels
//! encrypted and authenticated under the session it set up.
//!
//! One key per role: the roster's ed25519 key. Noise needs X25519 static
//! keys, so each side uses the birationally equivalent Montgomery form of
//! the same key (`SigningKey::to_scalar_bytes`, `VerifyingKey::to_montgomery`):
//! a user manages one key file and one roster line per role.
//!
//! The handshake's prologue binds the wire version, the protocol id, both
//! role names (initiator first) and both hello nonces, so a channel cannot
//! be moved between sessions, protocols or edges, and the plaintext hellos
//! cannot be altered unnoticed. Noise's transport messages carry a counter
//! nonce: a frame that was tampered with, truncated, replayed, reordered,
//! dropped (the next one fails), injected or spliced from another
//! connection fails to decrypt, and the connection ends.
//!
//! Frames travel in records: a record's plaintext is one or more frames,
//! each after its length (4 bytes, little-endian), so the frames a role
//! sends together are sealed together (one AEAD, not one per frame). A
//! record longer than one Noise message (64 KiB) is sent as several
//! chunks; each chunk's plaintext starts with a flag byte, 1 when more
//! chunks follow.

use ed25519_dalek::{SigningKey, VerifyingKey};
use telltale_types::{ContentId, Role};

/// The Noise protocol every secure channel uses.
pub const NOISE_PATTERN: &str = "Noise_KK_25519_ChaChaPoly_BLAKE2s";

/// The largest Noise message.
const MAX_MESSAGE: usize = 65_535;
/// The AEAD tag of a transport message.
const TAG: usize = 16;
/// The plaintext of one chunk, after its flag byte.
const CHUNK: usize = MAX_MESSAGE - TAG - 1;
/// How long a record of several frames grows before it is sealed: one
/// Noise message (a longer single frame travels alone, in chunks).
pub(crate) const RECORD_TARGET: usize = CHUNK;

/// The prologue both ends must agree on.
pub(crate) fn prologue(
    version: u16,
    protocol: &ContentId,
    initiator: &Role,
    responder: &Role,
    nonces: (&[u8; 32], &[u8; 32]),
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"telltale-transport-noise-v1");
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(protocol.as_bytes());
    for name in [initiator.as_str(), responder.as_str()] {
        out.extend_from_slice(&(name.len() as u64).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    out.extend_from_slice(nonces.0);
    out.extend_from_slice(nonces.1);
    out
}

/// A Noise handshake in progress, one side of it.
pub(crate) struct NoiseHandshake {
    state: snow::HandshakeState,
}

impl NoiseHandshake {
    /// Starts the handshake as `initiator` (or responder) with our key, the
    /// peer's pinned key and the agreed prologue.
    pub(crate) fn new(
        initiator: bool,
        ours: &SigningKey,
        theirs: &VerifyingKey,
        prologue: &[u8],
    ) -> Result<Self, String> {
        let params = NOISE_PATTERN
            .parse()
            .map_err(|e| format!("noise parameters: {e:?}"))?;
        let private = ours.to_scalar_bytes();
        let public = theirs.to_montgomery().to_bytes();
        let builder = snow::Builder::new(params)
            .local_private_key(&private)
            .remote_public_key(&public)
            .prologue(prologue);
        let state = if initiator {
            builder.build_initiator()
        } else {
            builder.build_responder()
        }
        .map_err(|e| format!("noise handshake: {e:?}"))?;
        Ok(NoiseHandshake { state })
    }

    /// The next handshake message to send.
    pub(crate) fn write(&mut self) -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let len = self
            .state
            .write_message(&[], &mut buf)
            .map_err(|e| format!("noise handshake: {e:?}"))?;
        buf.truncate(len);
        Ok(buf)
    }

    /// Reads the peer's handshake message; an error means the two ends do
    /// not hold the keys each other's roster pins (or the message was
    /// altered on the way).
    pub(crate) fn read(&mut self, message: &[u8]) -> Result<(), String> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        self.state
            .read_message(message, &mut buf)
            .map(|_| ())
            .map_err(|_| {
                "the keys do not match: the peer does not hold the key the roster pins for it, or it pins another key for this role".to_string()
            })
    }

    /// The established channel.
    pub(crate) fn finish(self) -> Result<Cipher, String> {
        let state = self
            .state
            .into_transport_mode()
            .map_err(|e| format!("noise handshake incomplete: {e:?}"))?;
        Ok(Cipher {
            state,
            buf: vec![0u8; MAX_MESSAGE],
            pending: Vec::new(),
            outgoing: Vec::new(),
            incoming: std::collections::VecDeque::new(),
        })
    }
}

/// An established channel: seals outgoing frames, opens incoming ones.
pub(crate) struct Cipher {
    state: snow::TransportState,
    buf: Vec<u8>,
    /// The chunks of an incoming record read so far.
    pending: Vec<u8>,
    /// The record being gathered: frames queued, not sealed yet.
    outgoing: Vec<u8>,
    /// Frames of opened records not handed out yet.
    incoming: std::collections::VecDeque<Vec<u8>>,
}

impl Cipher {
    /// Queues `frame` in the record being gathered; when it would make
    /// the record longer than `limit`, first seals the record so far and
    /// returns its chunks (to be written before anything else).
    pub(crate) fn queue(&mut self, frame: &[u8], limit: usize) -> Result<Vec<Vec<u8>>, String> {
        let length =
            u32::try_from(frame.len()).map_err(|_| "a frame longer than 4 GiB".to_string())?;
        let sealed = if !self.outgoing.is_empty() && self.outgoing.len() + 4 + frame.len() > limit {
            self.seal_record()?
        } else {
            Vec::new()
        };
        self.outgoing.extend_from_slice(&length.to_le_bytes());
        self.outgoing.extend_from_slice(frame);
        Ok(sealed)
    }

    /// Seals the record gathered so far (nothing when none is).
    pub(crate) fn seal_record(&mut self) -> Result<Vec<Vec<u8>>, String> {
        if self.outgoing.is_empty() {
            return Ok(Vec::new());
        }
        let record = std::mem::take(&mut self.outgoing);
        let chunks = self.seal(&record);
        // Keep the allocation for the next record.
        self.outgoing = record;
        self.outgoing.clear();
        chunks
    }

    /// The next frame of the records opened so far.
    pub(crate) fn next_frame(&mut self) -> Option<Vec<u8>> {
        self.incoming.pop_front()
    }

    /// Opens one chunk; once a record's last chunk is in, splits it into
    /// its frames (then handed out by [`Cipher::next_frame`]). Any chunk
    /// that does not decrypt, a record longer than `max_record`, or one
    /// whose frames do not add up is an error, and the channel is over.
    pub(crate) fn open_record(&mut self, chunk: &[u8], max_record: usize) -> Result<(), String> {
        let Some(record) = self.open(chunk, max_record)? else {
            return Ok(());
        };
        let mut rest = record.as_slice();
        while !rest.is_empty() {
            let (length, tail) = rest
                .split_first_chunk::<4>()
                .ok_or_else(|| "a record cut inside a frame length".to_string())?;
            let length = u32::from_le_bytes(*length) as usize;
            if length > tail.len() {
                return Err("a record cut inside a frame".to_string());
            }
            let (frame, tail) = tail.split_at(length);
            self.incoming.push_back(frame.to_vec());
            rest = tail;
        }
        Ok(())
    }

    /// The encrypted chunks of one record, in order.
    fn seal(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let mut out = Vec::with_capacity(frame.len() / CHUNK + 1);
        let mut plain = Vec::with_capacity(frame.len().min(CHUNK) + 1);
        let mut chunks = frame.chunks(CHUNK).peekable();
        if frame.is_empty() {
            chunks = [].chunks(CHUNK).peekable();
        }
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            let more = chunks.peek().is_some();
            plain.clear();
            plain.push(u8::from(more));
            plain.extend_from_slice(chunk);
            let len = self
                .state
                .write_message(&plain, &mut self.buf)
                .map_err(|e| format!("cannot encrypt a frame: {e:?}"))?;
            out.push(self.buf[..len].to_vec());
            if !more {
                return Ok(out);
            }
        }
    }

    /// Opens one chunk: `Some(frame)` once the frame's last chunk is in,
    /// `None` while more are to come. Any chunk that does not decrypt (or
    /// a frame longer than `max`) is an error, and the channel is over.
    fn open(&mut self, chunk: &[u8], max: usize) -> Result<Option<Vec<u8>>, String> {
        let len = self.state.read_message(chunk, &mut self.buf).map_err(|_| {
            "a frame failed authentication (tampered, truncated, replayed, reordered, dropped or injected)"
                .to_string()
        })?;
        let (flag, body) = self.buf[..len]
            .split_first()
            .ok_or_else(|| "an empty encrypted chunk".to_string())?;
        if self.pending.len() + body.len() > max {
            return Err(format!("an encrypted frame longer than {max} bytes"));
        }
        self.pending.extend_from_slice(body);
        match flag {
            0 => Ok(Some(std::mem::take(&mut self.pending))),
            1 => Ok(None),
            other => Err(format!("an encrypted chunk with flag {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Cipher, Cipher) {
        let (a, b) = (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
        );
        let p = prologue(
            1,
            &ContentId::from_bytes([7; 32]),
            &Role::new("A"),
            &Role::new("B"),
            (&[3; 32], &[4; 32]),
        );
        let mut i = NoiseHandshake::new(true, &a, &b.verifying_key(), &p).unwrap();
        let mut r = NoiseHandshake::new(false, &b, &a.verifying_key(), &p).unwrap();
        r.read(&i.write().unwrap()).unwrap();
        i.read(&r.write().unwrap()).unwrap();
        (i.finish().unwrap(), r.finish().unwrap())
    }

    fn deliver(to: &mut Cipher, chunks: &[Vec<u8>]) -> Result<Option<Vec<u8>>, String> {
        let mut out = None;
        for c in chunks {
            out = to.open(c, 1 << 24)?;
        }
        Ok(out)
    }

    #[test]
    fn frames_of_every_size_round_trip_in_order() {
        let (mut a, mut b) = pair();
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let frame: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let chunks = a.seal(&frame).unwrap();
            assert_eq!(
                chunks.len(),
                size / CHUNK + 1 - usize::from(size > 0 && size % CHUNK == 0)
            );
            assert_eq!(deliver(&mut b, &chunks).unwrap(), Some(frame), "{size}");
        }
    }

    #[test]
    fn frames_sent_together_travel_in_one_record_and_split_in_order() {
        let (mut a, mut b) = pair();
        let frames: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; usize::from(i) * 7]).collect();
        let mut chunks = Vec::new();
        for f in &frames {
            chunks.extend(a.queue(f, 1 << 20).unwrap());
        }
        assert!(chunks.is_empty(), "gathered, not sealed yet");
        chunks.extend(a.seal_record().unwrap());
        assert_eq!(chunks.len(), 1, "one AEAD for fifty frames");
        for c in &chunks {
            b.open_record(c, 1 << 20).unwrap();
        }
        let got: Vec<Vec<u8>> = std::iter::from_fn(|| b.next_frame()).collect();
        assert_eq!(got, frames);
        // A full record is sealed before the frame that would overflow it.
        let early = a.queue(&[1; 60], 100).unwrap();
        assert!(early.is_empty());
        let early = a.queue(&[2; 60], 100).unwrap();
        assert_eq!(early.len(), 1);
        // A record whose frames do not add up is refused.
        let (mut a, mut b) = pair();
        let cut = a.seal(&[9, 0, 0, 0, 1]).unwrap();
        let err = b.open_record(&cut[0], 100).unwrap_err();
        assert!(err.contains("cut inside a frame"), "{err}");
    }

    #[test]
    fn altered_replayed_reordered_and_dropped_frames_fail() {
        let (mut a, mut b) = pair();
        let one = a.seal(b"one").unwrap();
        let two = a.seal(b"two").unwrap();
        let mut flipped = one[0].clone();
        flipped[3] ^= 1;
        assert!(b.open(&flipped, 100).is_err());
        let (mut a, mut b) = pair();
        let one = a.seal(b"one").unwrap();
        let two_ = a.seal(b"two").unwrap();
        assert!(
            b.open(&two_[0], 100).is_err(),
            "reordered (or the first dropped)"
        );
        let (mut a, mut b) = pair();
        let one_ = a.seal(b"one").unwrap();
        assert_eq!(b.open(&one_[0], 100).unwrap(), Some(b"one".to_vec()));
        assert!(b.open(&one_[0], 100).is_err(), "replayed");
        // A chunk from another channel (same keys, another prologue run).
        let (_, mut other) = pair();
        assert!(other.open(&two[0], 100).is_err() || other.open(&one[0], 100).is_err());
        let _ = one;
    }

    #[test]
    fn a_peer_without_the_pinned_key_fails_the_handshake() {
        let (a, b, mallory) = (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
            SigningKey::from_bytes(&[9; 32]),
        );
        let p = b"prologue".to_vec();
        // Mallory claims to be A; B pins A's key.
        let mut i = NoiseHandshake::new(true, &mallory, &b.verifying_key(), &p).unwrap();
        let mut r = NoiseHandshake::new(false, &b, &a.verifying_key(), &p).unwrap();
        assert!(r.read(&i.write().unwrap()).is_err());
        // Another prologue (protocol, roles or nonces differ): refused too.
        let mut i = NoiseHandshake::new(true, &a, &b.verifying_key(), b"one").unwrap();
        let mut r = NoiseHandshake::new(false, &b, &a.verifying_key(), b"two").unwrap();
        assert!(r.read(&i.write().unwrap()).is_err());
    }
}
