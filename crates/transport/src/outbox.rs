//! `Outbox`: the data frames sent on one edge that the peer has not
//! acknowledged yet, kept to be sent again when a broken connection is
//! replaced (see `resume`).

use bytes::Bytes;
use std::collections::VecDeque;

/// The unacknowledged data frames of one edge, oldest first.
///
/// Frame `n` (its sequence number) sits at `n - first`. An acknowledgement
/// of `k` frames forgets every frame numbered below `k`.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// The sequence number of the oldest frame kept.
    first: u64,
    /// The encoded frames, oldest first.
    frames: VecDeque<Bytes>,
}

impl Outbox {
    /// Keeps the encoded frame numbered `seq`, the next after those kept.
    pub(crate) fn push(&mut self, seq: u64, frame: Bytes) {
        debug_assert_eq!(seq, self.next(), "frames are kept in sequence");
        self.frames.push_back(frame);
    }

    /// The number of frames kept.
    pub(crate) fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether every frame sent was acknowledged.
    pub(crate) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The sequence number the next frame will have.
    fn next(&self) -> u64 {
        self.first + self.frames.len() as u64
    }

    /// Forgets the frames numbered below `received` (the peer has them).
    /// An acknowledgement of frames never sent is an error; an old one
    /// (below what was acknowledged already) changes nothing.
    pub(crate) fn acknowledge(&mut self, received: u64) -> Result<(), String> {
        if received > self.next() {
            return Err(format!(
                "the peer acknowledges {received} frames, but only {} were sent",
                self.next()
            ));
        }
        while self.first < received {
            self.frames.pop_front();
            self.first += 1;
        }
        Ok(())
    }

    /// Forgets the frames the peer says it has after a reconnect: unlike
    /// an acknowledgement, the count must not fall below what the peer
    /// acknowledged before (it would have lost frames it confirmed).
    pub(crate) fn resume_from(&mut self, received: u64) -> Result<(), String> {
        if received < self.first {
            return Err(format!(
                "the peer resumes after {received} frames, but it had acknowledged {}",
                self.first
            ));
        }
        self.acknowledge(received)
    }

    /// The frames kept, oldest first: after [`Outbox::acknowledge`] with
    /// the peer's count, the frames to send again.
    pub(crate) fn frames(&self) -> impl Iterator<Item = &Bytes> {
        self.frames.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(n: u64) -> Outbox {
        let mut out = Outbox::default();
        for seq in 0..n {
            out.push(seq, Bytes::from(vec![seq as u8]));
        }
        out
    }

    #[test]
    fn acknowledged_frames_are_forgotten_and_the_rest_resent_in_order() {
        let mut out = outbox(5);
        out.acknowledge(2).unwrap();
        let rest: Vec<u8> = out.frames().map(|f| f[0]).collect();
        assert_eq!(rest, [2, 3, 4]);
        // An old acknowledgement changes nothing; a new frame follows.
        out.acknowledge(1).unwrap();
        out.push(5, Bytes::from(vec![5]));
        assert_eq!(out.len(), 4);
        out.acknowledge(6).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn acknowledging_frames_never_sent_is_an_error() {
        let mut out = outbox(2);
        let err = out.acknowledge(3).unwrap_err();
        assert!(err.contains("acknowledges 3 frames, but only 2"), "{err}");
    }

    #[test]
    fn a_resume_below_an_earlier_acknowledgement_is_an_error() {
        let mut out = outbox(4);
        out.acknowledge(3).unwrap();
        let err = out.resume_from(2).unwrap_err();
        assert!(err.contains("had acknowledged 3"), "{err}");
        out.resume_from(3).unwrap();
        assert_eq!(out.len(), 1);
    }
}
