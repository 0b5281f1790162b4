//! Frames: what one length-delimited TCP frame carries.

use serde::{Deserialize, Serialize};
use telltale_choreography::Message;
use telltale_types::value::{guard_depth, DepthGuarded};

/// Why a frame did not encode or decode: a payload value nested deeper
/// than `telltale_types::value::MAX_VALUE_DEPTH` (a typed error naming the
/// limit), or a postcard failure.
pub type FrameCodecError = DepthGuarded<postcard::Error>;

/// Current version of the wire format; both ends must agree.
pub const WIRE_VERSION: u16 = 4;

/// One frame on a connection, postcard-encoded inside a length-delimited frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    /// First frame of each end: who it is and what it runs.
    Hello {
        /// The wire format version.
        version: u16,
        /// The sender's role name.
        role: String,
        /// The content id of the protocol (its global type).
        protocol_id: [u8; 32],
        /// A fresh random value, bound into the secure channel's handshake.
        nonce: [u8; 32],
        /// Whether the sender will set up a secure channel (it has a key).
        authenticated: bool,
    },
    /// A message of the Noise handshake that sets up the secure channel
    /// (see `secure`).
    Noise {
        /// The handshake message.
        message: Vec<u8>,
    },
    /// The handshake succeeded on the sender's side.
    Ready,
    /// The sender refuses the connection, and says why.
    Refused {
        /// The sender's error, as text.
        reason: String,
    },
    /// A protocol message with its per-edge sequence number.
    Data {
        /// The sequence number on this edge and direction.
        seq: u64,
        /// The message.
        message: Message,
    },
    /// After the handshake of every connection, each end says which
    /// session it is and how far it got, so a connection that replaces a
    /// broken one resumes exactly where that one stopped (see `resume`).
    Resume {
        /// The sender's session: random, fixed for the life of its handler.
        session: [u8; 16],
        /// How many data frames the sender has received on this edge.
        received: u64,
        /// How often the sender wants its data frames acknowledged.
        ack_every: u64,
    },
    /// The sender has received `received` data frames on this edge: the
    /// other end may forget them.
    Ack {
        /// How many data frames the sender has received on this edge.
        received: u64,
    },
    /// The sender shuts down gracefully after `sent` data frames, having
    /// received `received`.
    Close {
        /// How many data frames were sent on this edge.
        sent: u64,
        /// How many data frames the sender received on this edge.
        received: u64,
    },
}

impl Frame {
    /// The postcard encoding.
    pub fn encode(&self) -> Result<Vec<u8>, FrameCodecError> {
        guard_depth(|| postcard::to_allocvec(self))
    }

    /// Reads a frame from its postcard encoding; payload values deeper
    /// than the value depth limit are refused.
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameCodecError> {
        guard_depth(|| postcard::from_bytes(bytes))
    }

    /// The frame kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Frame::Hello { .. } => "hello",
            Frame::Noise { .. } => "noise handshake",
            Frame::Ready => "ready",
            Frame::Refused { .. } => "refused",
            Frame::Data { .. } => "data",
            Frame::Resume { .. } => "resume",
            Frame::Ack { .. } => "ack",
            Frame::Close { .. } => "close",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use telltale_choreography::Value;

    #[test]
    fn frames_round_trip() {
        let frames = [
            Frame::Hello {
                version: WIRE_VERSION,
                role: "A".into(),
                protocol_id: [7; 32],
                nonce: [9; 32],
                authenticated: true,
            },
            Frame::Noise {
                message: vec![1; 48],
            },
            Frame::Data {
                seq: 3,
                message: Message::new("m", Value::record([("x", Value::Real(1.5))])),
            },
            Frame::Resume {
                session: [3; 16],
                received: 9,
                ack_every: 64,
            },
            Frame::Ack { received: 12 },
            Frame::Close {
                sent: 4,
                received: 2,
            },
        ];
        for frame in frames {
            let bytes = frame.encode().unwrap();
            assert_eq!(Frame::decode(&bytes).unwrap(), frame);
        }
        assert!(matches!(
            Frame::decode(&[200, 1, 2]),
            Err(DepthGuarded::Other(_))
        ));
    }

    #[test]
    fn deep_payloads_are_refused_in_both_directions_with_the_limit_named() {
        let deep = (0..100).fold(Value::Unit, |inner, _| Value::product([inner]));
        let frame = Frame::Data {
            seq: 0,
            message: Message::new("m", deep),
        };
        let err = frame.encode().unwrap_err();
        assert!(matches!(err, DepthGuarded::TooDeep(_)), "{err}");
        // A forged data frame: seq 0, label "m", then 60,000 one-item tuples.
        let mut bytes = Frame::Data {
            seq: 0,
            message: Message::unit("m"),
        }
        .encode()
        .unwrap();
        bytes.pop();
        bytes.extend([7u8, 1].repeat(60_000));
        bytes.push(0);
        let err = Frame::decode(&bytes).unwrap_err();
        assert!(matches!(err, DepthGuarded::TooDeep(_)), "{err}");
        assert!(err.to_string().contains("deeper than 64 levels"), "{err}");
    }
}
