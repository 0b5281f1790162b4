//! Bounded buffers: one per directed edge of a session.

use crate::config::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use telltale_compiler::{LabelId, Value};

/// How a buffer orders messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BufferMode {
    /// First in, first out.
    Fifo,
    /// Only the newest message is kept; a send overwrites an unread one.
    LatestValue,
}

/// What a send does when the buffer is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackpressurePolicy {
    /// The sender blocks until a receive frees room.
    Block,
    /// The message is dropped (recorded as an event) and the sender goes on.
    Drop,
    /// The sender faults.
    Error,
    /// The buffer doubles its capacity up to `max_capacity`, then blocks.
    Resize {
        /// The capacity the buffer may grow to.
        max_capacity: usize,
    },
}

/// Buffer settings shared by every edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferConfig {
    /// Ordering mode.
    pub mode: BufferMode,
    /// Initial capacity in messages.
    pub capacity: usize,
    /// Behaviour when full.
    pub policy: BackpressurePolicy,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            mode: BufferMode::Fifo,
            capacity: 64,
            policy: BackpressurePolicy::Block,
        }
    }
}

impl BufferConfig {
    /// Refuses capacities that cannot hold a message.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.capacity == 0 {
            return Err(ConfigError::Buffer("capacity must be at least 1".into()));
        }
        if let BackpressurePolicy::Resize { max_capacity } = self.policy {
            if max_capacity < self.capacity {
                return Err(ConfigError::Buffer(format!(
                    "max_capacity {max_capacity} is below capacity {}",
                    self.capacity
                )));
            }
        }
        Ok(())
    }
}

/// A message in flight, with room for authentication material.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The interned label.
    pub label: LabelId,
    /// The payload.
    pub payload: Value,
    /// The edge's sequence number of this message (starting at 0).
    pub seq: u64,
    /// The session that sent it (checked by the strict replay modes).
    #[serde(default)]
    pub session: crate::ids::SessionId,
    /// Authentication material when `Config::message_auth` is `Ed25519`
    /// (`None` otherwise).
    pub seal: Option<Box<crate::auth::MessageSeal>>,
}

/// What a send into the buffer will do, decided before the handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// There is room.
    Accept,
    /// The buffer is full and the message will be dropped.
    Drop,
    /// The unread message will be overwritten (latest-value mode).
    Overwrite,
    /// The buffer will grow to the given capacity first.
    Grow(usize),
    /// The sender must block.
    Block,
    /// The sender must fault.
    Fail,
}

/// A bounded queue of envelopes on one directed edge.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BoundedBuffer {
    pub(crate) queue: VecDeque<Envelope>,
    pub(crate) capacity: usize,
}

impl BoundedBuffer {
    /// An empty buffer; storage is only allocated by the first message.
    pub fn new(config: &BufferConfig) -> Self {
        BoundedBuffer {
            queue: VecDeque::new(),
            capacity: config.capacity,
        }
    }

    /// What a send would do now.
    #[inline]
    pub fn admission(&self, config: &BufferConfig) -> Admission {
        if config.mode == BufferMode::LatestValue {
            return if self.queue.is_empty() {
                Admission::Accept
            } else {
                Admission::Overwrite
            };
        }
        if self.queue.len() < self.capacity {
            return Admission::Accept;
        }
        match config.policy {
            BackpressurePolicy::Block => Admission::Block,
            BackpressurePolicy::Drop => Admission::Drop,
            BackpressurePolicy::Error => Admission::Fail,
            BackpressurePolicy::Resize { max_capacity } => {
                if self.capacity < max_capacity {
                    Admission::Grow(self.capacity.saturating_mul(2).min(max_capacity))
                } else {
                    Admission::Block
                }
            }
        }
    }

    /// Applies an admitted send; `Drop`, `Block` and `Fail` store nothing.
    /// Always inlined: the send path stays one function (measured with
    /// callgrind; see docs/performance.md).
    #[inline(always)]
    pub fn commit(&mut self, admission: Admission, envelope: Envelope) {
        match admission {
            Admission::Accept => self.queue.push_back(envelope),
            Admission::Overwrite => {
                self.queue.clear();
                self.queue.push_back(envelope);
            }
            Admission::Grow(capacity) => {
                self.capacity = capacity;
                self.queue.push_back(envelope);
            }
            Admission::Drop | Admission::Block | Admission::Fail => {}
        }
    }

    /// The queued messages, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Envelope> {
        self.queue.iter()
    }

    /// The oldest message, without removing it.
    #[inline]
    pub fn peek(&self) -> Option<&Envelope> {
        self.queue.front()
    }

    /// The oldest message, mutably (corruption faults and tamper hooks).
    pub(crate) fn front_mut(&mut self) -> Option<&mut Envelope> {
        self.queue.front_mut()
    }

    /// The newest message (the one a send just queued).
    pub fn newest(&self) -> Option<&Envelope> {
        self.queue.back()
    }

    /// The newest message, mutably (a byzantine sender's lie, explored).
    pub(crate) fn back_mut(&mut self) -> Option<&mut Envelope> {
        self.queue.back_mut()
    }

    /// The queued messages, mutably (test hook for replay attacks).
    #[cfg(any(test, feature = "test-hooks"))]
    pub(crate) fn queue_mut(&mut self) -> &mut VecDeque<Envelope> {
        &mut self.queue
    }

    /// Removes and returns the oldest message.
    #[inline]
    pub fn pop(&mut self) -> Option<Envelope> {
        self.queue.pop_front()
    }

    /// Number of queued messages.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no message is queued.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The current capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Drops every queued message and releases the storage.
    pub fn clear(&mut self) {
        self.queue = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(n: i64) -> Envelope {
        Envelope {
            label: 0,
            payload: Value::Int(n),
            seq: n as u64,
            session: 0,
            seal: None,
        }
    }

    /// Sends `n` messages, returning the admissions and the queued payloads.
    fn check(config: BufferConfig, n: i64, admissions: &[Admission], queued: &[i64]) {
        let mut b = BoundedBuffer::new(&config);
        let mut seen = Vec::new();
        for i in 0..n {
            let a = b.admission(&config);
            seen.push(a);
            b.commit(a, env(i));
        }
        assert_eq!(seen, admissions, "{config:?}");
        let mut got = Vec::new();
        while let Some(e) = b.pop() {
            if let Value::Int(v) = e.payload {
                got.push(v);
            }
        }
        assert_eq!(got, queued, "{config:?}");
    }

    #[test]
    fn each_policy_behaves() {
        use Admission::*;
        let cfg = |mode, policy| BufferConfig {
            mode,
            capacity: 2,
            policy,
        };
        check(
            cfg(BufferMode::Fifo, BackpressurePolicy::Block),
            3,
            &[Accept, Accept, Block],
            &[0, 1],
        );
        check(
            cfg(BufferMode::Fifo, BackpressurePolicy::Drop),
            3,
            &[Accept, Accept, Drop],
            &[0, 1],
        );
        check(
            cfg(BufferMode::Fifo, BackpressurePolicy::Error),
            3,
            &[Accept, Accept, Fail],
            &[0, 1],
        );
        check(
            cfg(
                BufferMode::Fifo,
                BackpressurePolicy::Resize { max_capacity: 4 },
            ),
            6,
            &[Accept, Accept, Grow(4), Accept, Block, Block],
            &[0, 1, 2, 3],
        );
        check(
            cfg(BufferMode::LatestValue, BackpressurePolicy::Block),
            3,
            &[Accept, Overwrite, Overwrite],
            &[2],
        );
    }
}
