//! Renaming roles in the canonical encoding: the bytes [`StateEncoder`]
//! would write for the state in which every role `r` has become `perm[r]`,
//! for the explorer's symmetry reduction (docs/explorer.md, "Symmetry").
//!
//! Only states of the shape the reduction needs are renamed: one session
//! whose coroutines are one per role, no extension state (guards,
//! speculation, knowledge), no faulted coroutine, no network outbox, no
//! freed coroutine slots, and endpoints only at the top of a register or a
//! payload. Anything else is refused (`None`), and the caller falls back
//! to the plain fingerprint — a sound choice, as every state is still
//! stored under the fingerprint of some member of its orbit.
//!
//! [`StateEncoder`]: super::StateEncoder

use crate::coroutine::CoroStatus;
use crate::machine::ProtocolMachine;
use telltale_compiler::{RoleId, Value};

/// A role permutation checked against one machine state: where the state
/// of each renamed coroutine and edge comes from.
#[derive(Debug)]
pub(super) struct Renaming<'p> {
    /// `perm[r]`: the role that `r` becomes.
    perm: &'p [RoleId],
    /// `inverse[r]`: the role that becomes `r`.
    inverse: Vec<RoleId>,
    /// The slot of each role's coroutine (`u32::MAX`: none).
    slot_of_role: Vec<u32>,
}

impl<'p> Renaming<'p> {
    /// `perm` checked against `m`: `None` when it is not a permutation of
    /// the image's roles or the state has a shape it cannot rename.
    pub(super) fn new(m: &ProtocolMachine, perm: &'p [RoleId]) -> Option<Self> {
        let width = m.image.symbols.roles.len();
        if perm.len() != width || m.outbox.is_some() {
            return None;
        }
        if !m.coro_free.is_empty() || !m.orphaned_guards.is_empty() {
            return None;
        }
        let mut inverse = vec![RoleId::MAX; width];
        for (r, &to) in perm.iter().enumerate() {
            let slot = inverse.get_mut(usize::from(to))?;
            if *slot != RoleId::MAX {
                return None;
            }
            *slot = RoleId::try_from(r).ok()?;
        }
        let mut slot_of_role = vec![u32::MAX; width];
        let mut session = None;
        for (slot, c) in m.coroutines.iter().enumerate() {
            let Some(c) = c else { continue };
            if c.ext.is_some() || matches!(c.status, CoroStatus::Faulted(_)) {
                return None;
            }
            if *session.get_or_insert(c.session) != c.session {
                return None;
            }
            let at = slot_of_role.get_mut(usize::from(c.role))?;
            if *at != u32::MAX || !c.registers.iter().all(shallow_endpoints) {
                return None;
            }
            *at = u32::try_from(slot).ok()?;
        }
        // The roles that have a coroutine must be closed under `perm`.
        for (r, &slot) in slot_of_role.iter().enumerate() {
            if (slot == u32::MAX) != (slot_of_role[usize::from(perm[r])] == u32::MAX) {
                return None;
            }
        }
        Some(Renaming {
            perm,
            inverse,
            slot_of_role,
        })
    }

    /// The slot whose coroutine becomes the one of `role`.
    pub(super) fn source_slot(&self, role: RoleId) -> Option<usize> {
        let from = *self.inverse.get(usize::from(role))?;
        let slot = *self.slot_of_role.get(usize::from(from))?;
        (slot != u32::MAX).then_some(slot as usize)
    }

    /// The index of the edge that becomes edge `index` of a session
    /// `width` roles wide.
    pub(super) fn source_edge(&self, index: usize, width: usize) -> Option<usize> {
        if width != self.perm.len() || width == 0 {
            return None;
        }
        let (from, to) = (index / width, index % width);
        let from = usize::from(*self.inverse.get(from)?);
        let to = usize::from(*self.inverse.get(to)?);
        Some(from * width + to)
    }

    /// `value` with the role of a top-level endpoint renamed.
    pub(super) fn value<'v>(&self, value: &'v Value) -> std::borrow::Cow<'v, Value> {
        match value {
            Value::Endpoint(e) => {
                let mut e = *e;
                if let Some(&to) = self.perm.get(usize::from(e.role)) {
                    e.role = to;
                }
                std::borrow::Cow::Owned(Value::Endpoint(e))
            }
            other => std::borrow::Cow::Borrowed(other),
        }
    }
}

/// Whether every endpoint in `value` is `value` itself (none nested in a
/// tuple or record, where renaming would need a deep copy).
pub(super) fn shallow_endpoints(value: &Value) -> bool {
    let mut stack: Vec<&Value> = match value {
        Value::Product(items) => items.iter().collect(),
        Value::Record(fields) => fields.iter().map(|(_, v)| v).collect(),
        _ => return true,
    };
    while let Some(v) = stack.pop() {
        match v {
            Value::Endpoint(_) => return false,
            Value::Product(items) => stack.extend(items.iter()),
            Value::Record(fields) => stack.extend(fields.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    true
}
