//! The named payload types of `consensus.tell`, owned by this host (the
//! scaffold wrote placeholders here once). Each crosses the machine
//! boundary as a record of plain values (`HostValue`), so traces and
//! reports show them and the simulator can compare them.

use telltale_vm::host::{record_field, HostValue};
use telltale_vm::Value;

/// A 32-byte SHA-256 digest.
pub type Digest = [u8; 32];

/// Reads a 32-byte digest from a `Bytes` value.
fn digest_of(value: &Value) -> Result<Digest, String> {
    match value {
        Value::Bytes(bytes) => Digest::try_from(&bytes[..])
            .map_err(|_| format!("a digest has 32 bytes, not {}", bytes.len())),
        other => Err(format!("expected a digest (bytes), found {other}")),
    }
}

/// Reads a `Nat` field.
fn nat(value: &Value, name: &str) -> Result<u64, String> {
    u64::from_value(record_field(value, name)?)
}

/// Reads a `Bytes` digest field.
fn digest_field(value: &Value, name: &str) -> Result<Digest, String> {
    digest_of(record_field(value, name)?)
}

/// Renders a digest as lowercase hex (how observations name states).
pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `consensus.StateHash`: a state is identified by its hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateHash(pub Digest);

impl HostValue for StateHash {
    fn to_value(&self) -> Value {
        Value::bytes(self.0.to_vec())
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        digest_of(value).map(StateHash)
    }
}

/// `consensus.Collected`: the mutations one prover collected for a round.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Collected {
    /// The prover that collected them.
    pub prover: u64,
    /// The round.
    pub round: u64,
    /// The mutations, in collection order.
    pub mutations: Vec<String>,
}

impl HostValue for Collected {
    fn to_value(&self) -> Value {
        Value::record([
            ("prover", Value::Nat(self.prover)),
            ("round", Value::Nat(self.round)),
            (
                "mutations",
                Value::Product(
                    self.mutations
                        .iter()
                        .map(|m| Value::string(m.as_str()))
                        .collect(),
                ),
            ),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        let mutations = match record_field(value, "mutations")? {
            Value::Product(items) => items
                .iter()
                .map(String::from_value)
                .collect::<Result<_, _>>()?,
            other => {
                return Err(format!(
                    "expected mutations (a tuple of strings), found {other}"
                ))
            }
        };
        Ok(Collected {
            prover: nat(value, "prover")?,
            round: nat(value, "round")?,
            mutations,
        })
    }
}

/// `consensus.Leaders`: the provers that lead the next rounds, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Leaders(pub Vec<u64>);

impl HostValue for Leaders {
    fn to_value(&self) -> Value {
        Value::Product(self.0.iter().map(|l| Value::Nat(*l)).collect())
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Product(items) => items
                .iter()
                .map(u64::from_value)
                .collect::<Result<_, _>>()
                .map(Leaders),
            other => Err(format!(
                "expected leaders (a tuple of naturals), found {other}"
            )),
        }
    }
}

/// The part of a proposal every vote carries: what the leader signed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Header {
    /// The round.
    pub round: u64,
    /// The leader that proposed.
    pub leader: u64,
    /// The state the proposal moves to.
    pub state: StateHash,
    /// The leader's signature over round, leader and state.
    pub signature: Digest,
}

impl HostValue for Header {
    fn to_value(&self) -> Value {
        Value::record([
            ("round", Value::Nat(self.round)),
            ("leader", Value::Nat(self.leader)),
            ("state", self.state.to_value()),
            ("signature", Value::bytes(self.signature.to_vec())),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        Ok(Header {
            round: nat(value, "round")?,
            leader: nat(value, "leader")?,
            state: StateHash(digest_field(value, "state")?),
            signature: digest_field(value, "signature")?,
        })
    }
}

/// `consensus.Proposal`: the leader's proposed next state with its proof.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Proposal {
    /// Round, leader, state and the leader's signature.
    pub header: Header,
    /// The state the round started from.
    pub prior: StateHash,
    /// The mutations the proof covers, sorted.
    pub mutations: Vec<String>,
}

impl HostValue for Proposal {
    fn to_value(&self) -> Value {
        Value::record([
            ("header", self.header.to_value()),
            ("prior", self.prior.to_value()),
            (
                "mutations",
                Value::Product(
                    self.mutations
                        .iter()
                        .map(|m| Value::string(m.as_str()))
                        .collect(),
                ),
            ),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        let mutations = match record_field(value, "mutations")? {
            Value::Product(items) => items
                .iter()
                .map(String::from_value)
                .collect::<Result<_, _>>()?,
            other => {
                return Err(format!(
                    "expected mutations (a tuple of strings), found {other}"
                ))
            }
        };
        Ok(Proposal {
            header: Header::from_value(record_field(value, "header")?)?,
            prior: StateHash(digest_field(value, "prior")?),
            mutations,
        })
    }
}

/// `consensus.Vote`: one prover's vote on the round's proposal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Vote {
    /// The voter.
    pub voter: u64,
    /// The proposal voted for (its signed header); `None` is a vote
    /// against (no valid proposal seen).
    pub approve: Option<Header>,
    /// The voter's signature over round and approved header.
    pub signature: Digest,
    /// The round.
    pub round: u64,
}

impl HostValue for Vote {
    fn to_value(&self) -> Value {
        Value::record([
            ("voter", Value::Nat(self.voter)),
            ("round", Value::Nat(self.round)),
            (
                "approve",
                match &self.approve {
                    Some(h) => Value::Product(vec![h.to_value()].into()),
                    None => Value::Product(Vec::new().into()),
                },
            ),
            ("signature", Value::bytes(self.signature.to_vec())),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        let approve = match record_field(value, "approve")? {
            Value::Product(items) if items.is_empty() => None,
            Value::Product(items) if items.len() == 1 => Some(Header::from_value(&items[0])?),
            other => {
                return Err(format!(
                    "expected an approval (a tuple of at most one header), found {other}"
                ))
            }
        };
        Ok(Vote {
            voter: nat(value, "voter")?,
            round: nat(value, "round")?,
            approve,
            signature: digest_field(value, "signature")?,
        })
    }
}

/// `consensus.Votes`: the votes one prover holds for a round.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Votes(pub Vec<Vote>);

impl HostValue for Votes {
    fn to_value(&self) -> Value {
        Value::Product(self.0.iter().map(HostValue::to_value).collect())
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Product(items) => items
                .iter()
                .map(Vote::from_value)
                .collect::<Result<_, _>>()
                .map(Votes),
            other => Err(format!("expected votes (a tuple), found {other}")),
        }
    }
}

/// `consensus.Confirmation`: what a prover finalized (verifying state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Confirmation {
    /// The prover.
    pub prover: u64,
    /// The round.
    pub round: u64,
    /// The finalized state, `None` when no quorum formed.
    pub finalized: Option<StateHash>,
}

impl HostValue for Confirmation {
    fn to_value(&self) -> Value {
        Value::record([
            ("prover", Value::Nat(self.prover)),
            ("round", Value::Nat(self.round)),
            (
                "finalized",
                match &self.finalized {
                    Some(s) => Value::Product(vec![s.to_value()].into()),
                    None => Value::Product(Vec::new().into()),
                },
            ),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        let finalized = match record_field(value, "finalized")? {
            Value::Product(items) if items.is_empty() => None,
            Value::Product(items) if items.len() == 1 => Some(StateHash::from_value(&items[0])?),
            other => {
                return Err(format!(
                    "expected a finalized state (a tuple of at most one hash), found {other}"
                ))
            }
        };
        Ok(Confirmation {
            prover: nat(value, "prover")?,
            round: nat(value, "round")?,
            finalized,
        })
    }
}
