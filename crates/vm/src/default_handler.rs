//! A built-in deterministic handler, so any projected protocol can run
//! without host code.
//!
//! Branch rule: the handler counts the choices it makes (sends with more
//! than one possible label). Choice number `n` (from 0) picks
//! `choices[splitmix64(seed + n) % len]` while `n < loop_budget`; from then
//! on it picks the label the monitor reports as closest to `end`
//! (`exit_label`), so every loop that has an exit eventually takes it.
//! Payloads are fabricated from the label's sort with
//! `splitmix64(seed ^ tick)`, unless the program precomputed one.

use crate::effect::{EffectHandler, SendDecision, SendDecisionInput};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use telltale_compiler::{LabelId, Value};
use telltale_types::PayloadSort;

/// The default number of random choices before loops are steered to exit.
pub const DEFAULT_LOOP_BUDGET: u64 = 32;

/// SplitMix64: a tiny, well-mixed, seedable generator step.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic handler driven by a seed.
#[derive(Debug)]
pub struct DefaultHandler {
    seed: u64,
    loop_budget: u64,
    choices_made: AtomicU64,
}

impl DefaultHandler {
    /// A handler with the default loop budget.
    pub fn new(seed: u64) -> Self {
        Self::with_loop_budget(seed, DEFAULT_LOOP_BUDGET)
    }

    /// A handler that makes `loop_budget` random choices before steering
    /// every choice towards `end`.
    pub fn with_loop_budget(seed: u64, loop_budget: u64) -> Self {
        DefaultHandler {
            seed,
            loop_budget,
            choices_made: AtomicU64::new(0),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The number of random choices before loops are steered to exit.
    pub fn loop_budget(&self) -> u64 {
        self.loop_budget
    }

    /// The number of branch choices made so far (the handler's only state:
    /// save it beside a checkpoint to resume the run).
    pub fn choices_made(&self) -> u64 {
        self.choices_made.load(Ordering::Relaxed)
    }

    /// A handler in the state of one that has made `choices_made` choices,
    /// to continue a run restored from a checkpoint.
    pub fn resumed(seed: u64, loop_budget: u64, choices_made: u64) -> Self {
        DefaultHandler {
            seed,
            loop_budget,
            choices_made: AtomicU64::new(choices_made),
        }
    }

    fn pick(&self, input: &SendDecisionInput<'_>) -> Option<LabelId> {
        let choices = input.choices;
        if choices.len() <= 1 {
            return choices.first().copied();
        }
        let n = self.choices_made.fetch_add(1, Ordering::Relaxed);
        if n < self.loop_budget {
            let i = splitmix64(self.seed.wrapping_add(n)) % choices.len() as u64;
            return choices.get(i as usize).copied();
        }
        input
            .exit_label
            .filter(|l| choices.contains(l))
            .or_else(|| choices.first().copied())
    }
}

/// Builds a value of `sort` from random bits.
pub fn fabricate(sort: &PayloadSort, bits: u64) -> Value {
    match sort {
        PayloadSort::Unit | PayloadSort::Named(_) => Value::Unit,
        PayloadSort::Bool => Value::Bool(bits & 1 == 1),
        PayloadSort::Nat => Value::Nat(bits % 1000),
        PayloadSort::Int => Value::Int((bits % 2001) as i64 - 1000),
        PayloadSort::Real => Value::Real((bits % 10_000) as f64 / 10.0),
        PayloadSort::String => Value::String(Arc::from(format!("s{}", bits % 1000))),
        PayloadSort::Bytes => Value::Bytes(Arc::from(bits.to_le_bytes().as_slice())),
        PayloadSort::Product(items) => Value::Product(
            items
                .iter()
                .enumerate()
                .map(|(i, s)| fabricate(s, splitmix64(bits.wrapping_add(i as u64))))
                .collect(),
        ),
        PayloadSort::Record(fields) => Value::Record(
            fields
                .iter()
                .enumerate()
                .map(|(i, (name, s))| {
                    let value = fabricate(s, splitmix64(bits.wrapping_add(i as u64)));
                    (name.clone(), value)
                })
                .collect(),
        ),
    }
}

impl EffectHandler for DefaultHandler {
    fn polls_topology(&self) -> bool {
        false
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn handler_identity(&self) -> &str {
        "telltale.default-handler"
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let label = self
            .pick(input)
            .ok_or_else(|| "default handler: no label to choose from".to_string())?;
        let payload = match input.payload {
            Some(p) => p.clone(),
            None => self.handle_send(input, label)?,
        };
        Ok(SendDecision::Deliver { label, payload })
    }

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {
        let sort = input
            .symbols
            .label(label)
            .map(|l| &l.sort)
            .ok_or_else(|| format!("default handler: unknown label id {label}"))?;
        Ok(fabricate(sort, splitmix64(self.seed ^ input.ctx.tick)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::check_payload;
    use crate::PayloadValidationMode;

    #[test]
    fn fabricated_values_match_their_sorts() {
        let sorts = [
            PayloadSort::Unit,
            PayloadSort::Bool,
            PayloadSort::Nat,
            PayloadSort::Int,
            PayloadSort::Real,
            PayloadSort::String,
            PayloadSort::Bytes,
            PayloadSort::Named("a.B".into()),
            PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Bool]),
            PayloadSort::Record(vec![("x".into(), PayloadSort::Nat)]),
        ];
        for (i, sort) in sorts.iter().enumerate() {
            let v = fabricate(sort, splitmix64(i as u64));
            assert!(
                check_payload(&v, sort, PayloadValidationMode::StrictSchema).is_ok(),
                "{v} : {sort}"
            );
        }
    }

    #[test]
    fn splitmix_is_deterministic() {
        assert_eq!(splitmix64(0), splitmix64(0));
        assert_ne!(splitmix64(0), splitmix64(1));
    }
}
