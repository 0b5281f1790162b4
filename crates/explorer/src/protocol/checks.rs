//! The properties a protocol model checks on every explored state.

use super::{ProtocolModel, ProtocolState};
use crate::host::ExplorableHost;
use crate::model::Property;

impl<H: ExplorableHost> ProtocolModel<H> {
    /// The checks run on every explored state: no faults, no deadlock,
    /// no orphan messages, then those asked for (agreement, never,
    /// validity, the buffer limit, the host's predicates), narrowed to
    /// [`ProtocolModel::checking`]'s names when given.
    pub(super) fn checks(&self) -> Vec<Property<Self>> {
        let mut properties = vec![
            Property::always("no_faults", |_, s: &ProtocolState<H>| {
                s.error.is_none() && s.machine.faulted_coroutines().is_empty()
            }),
            Property::always("deadlock", |m: &Self, s: &ProtocolState<H>| {
                s.machine.is_final()
                    || !s.machine.enabled_steps().is_empty()
                    || (m.timeouts && m.has_timeouts && !s.machine.timeout_steps().is_empty())
            }),
            Property::always("orphan_messages", |_, s: &ProtocolState<H>| {
                !s.machine.is_final() || s.machine.queued_messages().0 == 0
            }),
        ];
        if !self.agreement.is_empty() {
            properties.push(Property::always(
                "agreement",
                |m: &Self, s: &ProtocolState<H>| {
                    m.agreement.iter().all(|k| s.observations.agree_on(k))
                },
            ));
        }
        if !self.never.is_empty() {
            properties.push(Property::always(
                "never",
                |m: &Self, s: &ProtocolState<H>| {
                    m.never
                        .iter()
                        .all(|k| s.observations.values_of(k).next().is_none())
                },
            ));
        }
        if !self.validity.is_empty() {
            properties.push(Property::always(
                "validity",
                |m: &Self, s: &ProtocolState<H>| {
                    m.validity.iter().all(|(key, allowed)| {
                        s.observations
                            .values_of(key)
                            .all(|o| allowed.iter().any(|a| **a == *o.value))
                    })
                },
            ));
        }
        if self.buffer_limit.is_some() {
            properties.push(Property::always(
                "buffer_bound",
                |m: &Self, s: &ProtocolState<H>| match m.buffer_limit {
                    Some(n) => s.machine.queued_messages().1 <= n,
                    None => true,
                },
            ));
        }
        properties.extend(
            self.predicates
                .iter()
                .map(|(name, holds)| Property::always(name, *holds)),
        );
        if let Some(checks) = &self.checks {
            properties.retain(|p| checks.contains(&p.name));
        }
        properties
    }
}
