//! Observations: what a host handler reports about its own state
//! (`observe(key, value)`: "I finalized block 7"), for the properties over
//! them (`agreement`, `validity`, `eventually`, `never`). The host keeps a
//! clone of the log and writes to it from its callbacks; the world reads
//! what was added after each round.

use std::cell::RefCell;
use std::rc::Rc;
use telltale_compiler::{RoleId, Value};
use telltale_vm::EffectContext;

/// One observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The tick of the callback that made it.
    pub tick: u64,
    /// The role whose handler made it.
    pub role: RoleId,
    /// What was observed.
    pub key: String,
    /// The value, rendered (how properties compare and reports show it).
    pub value: String,
}

/// The shared log hosts write observations to (clones share one log).
#[derive(Clone, Debug, Default)]
pub struct ObservationLog {
    entries: Rc<RefCell<Vec<Observation>>>,
}

impl ObservationLog {
    /// An empty log.
    pub fn new() -> ObservationLog {
        ObservationLog::default()
    }

    /// Records that the caller of a handler callback observed `key =
    /// value`.
    pub fn observe(&self, ctx: &EffectContext, key: &str, value: &Value) {
        self.entries.borrow_mut().push(Observation {
            tick: ctx.tick,
            role: ctx.role,
            key: key.to_string(),
            value: value.to_string(),
        });
    }

    /// The observations from position `from` on.
    pub fn since(&self, from: usize) -> Vec<Observation> {
        self.entries
            .borrow()
            .get(from..)
            .map(<[Observation]>::to_vec)
            .unwrap_or_default()
    }

    /// Number of observations so far.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing was observed.
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }
}
