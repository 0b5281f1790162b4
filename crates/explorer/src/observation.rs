//! Observations on explored states: what a host reports about its own
//! state (`decision = commit`), kept in the explored state and its
//! fingerprint, for the properties over them (`agreement(key)`,
//! `never(key)`, as in the simulator's scenario properties).

use std::sync::Arc;
use telltale_compiler::RoleId;

/// One observation: role `role` observed `key = value`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observation {
    /// The role whose host made it.
    pub role: RoleId,
    /// What was observed (`decision`).
    pub key: Arc<str>,
    /// The value, rendered (how properties compare and reports show it).
    pub value: Arc<str>,
}

/// The observations made along the run that led to a state, in a canonical
/// order (by role, key, value) so that runs that made the same observations
/// in a different order reach the same state. A role observing the same
/// key twice with the same value is recorded once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Observations {
    entries: Vec<Observation>,
}

impl Observations {
    /// No observations.
    pub fn new() -> Self {
        Observations::default()
    }

    /// Records that `role` observed `key = value`.
    pub fn observe(&mut self, role: RoleId, key: &str, value: &str) {
        let entry = Observation {
            role,
            key: Arc::from(key),
            value: Arc::from(value),
        };
        if let Err(at) = self.entries.binary_search(&entry) {
            self.entries.insert(at, entry);
        }
    }

    /// Keeps only the observations `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Observation) -> bool) {
        self.entries.retain(keep);
    }

    /// Every observation, in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &Observation> {
        self.entries.iter()
    }

    /// Whether nothing was observed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The values observed for `key`, by every role, in canonical order.
    pub fn values_of<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Observation> {
        self.entries.iter().filter(move |o| &*o.key == key)
    }

    /// Whether every observation of `key` has the same value
    /// (`agreement(key)`).
    pub fn agree_on(&self, key: &str) -> bool {
        let mut values = self.values_of(key).map(|o| &o.value);
        match values.next() {
            Some(first) => values.all(|v| v == first),
            None => true,
        }
    }

    /// Appends the canonical encoding to a fingerprint's bytes (nothing
    /// when empty, so models without observations keep their fingerprints).
    pub fn encode(&self, out: &mut Vec<u8>) {
        if self.entries.is_empty() {
            return;
        }
        out.push(0x0b);
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for o in &self.entries {
            out.extend_from_slice(&u32::from(o.role).to_le_bytes());
            for text in [&o.key, &o.value] {
                out.extend_from_slice(&(text.len() as u32).to_le_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_repeats_count_once() {
        let mut a = Observations::new();
        a.observe(1, "decision", "commit");
        a.observe(0, "decision", "commit");
        let mut b = Observations::new();
        b.observe(0, "decision", "commit");
        b.observe(1, "decision", "commit");
        b.observe(1, "decision", "commit");
        assert_eq!(a, b);
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        a.encode(&mut ea);
        b.encode(&mut eb);
        assert_eq!(ea, eb);
    }

    #[test]
    fn agreement_fails_on_two_values() {
        let mut o = Observations::new();
        assert!(o.agree_on("decision"));
        o.observe(0, "decision", "commit");
        o.observe(2, "other", "x");
        assert!(o.agree_on("decision"));
        o.observe(1, "decision", "abort");
        assert!(!o.agree_on("decision"));
        assert_eq!(o.values_of("decision").count(), 2);
    }
}
