//! Probabilities written as decimal strings (`"0.02"`), read exactly as an
//! integer number of parts per billion so that every machine draws the
//! same decisions from the same seed (no floating point anywhere).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use telltale_types::random::SeededRng;

/// Parts per billion in a probability of one.
pub const ONE: u64 = 1_000_000_000;

/// A probability in parts per billion, read from a decimal string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Probability(u64);

impl Probability {
    /// Never.
    pub const ZERO: Probability = Probability(0);

    /// Parses `"0"`, `"1"`, `"1.0"`, `"0.125"`: at most nine decimals, at
    /// most one.
    pub fn parse(text: &str) -> Result<Probability, String> {
        let bad = || {
            format!("`{text}` is not a probability: write a decimal between \"0\" and \"1\", e.g. \"0.05\"")
        };
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 9
            || (text.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        let mut ppb: u64 = 0;
        for (i, digit) in frac.bytes().enumerate() {
            ppb += u64::from(digit - b'0') * 10u64.pow(8 - i as u32);
        }
        let total = whole
            .checked_mul(ONE)
            .and_then(|w| w.checked_add(ppb))
            .ok_or_else(bad)?;
        if total > ONE {
            return Err(bad());
        }
        Ok(Probability(total))
    }

    /// The probability in parts per billion.
    pub fn parts_per_billion(self) -> u64 {
        self.0
    }

    /// Whether the event can happen at all.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Draws one decision: true with this probability. Draws nothing when
    /// the probability is zero, so a scenario without randomness consumes
    /// no numbers.
    pub fn sample(self, rng: &mut SeededRng) -> bool {
        !self.is_zero() && rng.below(ONE) < self.0
    }
}

impl fmt::Display for Probability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / ONE;
        let frac = self.0 % ONE;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:09}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// Reads a probability from a decimal string or a TOML number. A float
/// is read through its shortest exact decimal text (Rust's formatting is
/// the same on every machine), so `0.05` and `"0.05"` are one value.
struct ProbabilityVisitor;

impl serde::de::Visitor<'_> for ProbabilityVisitor {
    type Value = Probability;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a probability between 0 and 1, e.g. \"0.05\" or 0.05")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Probability, E> {
        Probability::parse(text).map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Probability, E> {
        Probability::parse(&format!("{v}")).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Probability, E> {
        Probability::parse(&v.to_string()).map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Probability, E> {
        Probability::parse(&v.to_string()).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ProbabilityVisitor)
    }
}

impl Serialize for Probability {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimals_read_exactly() {
        assert_eq!(
            Probability::parse("0.02").unwrap().parts_per_billion(),
            20_000_000
        );
        assert_eq!(Probability::parse("1").unwrap().parts_per_billion(), ONE);
        assert_eq!(Probability::parse("1.0").unwrap().parts_per_billion(), ONE);
        assert_eq!(Probability::parse("0").unwrap(), Probability::ZERO);
        for bad in ["", ".5", "1.", "1.5", "-0.1", "0.1234567891", "abc", "0,5"] {
            assert!(Probability::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn toml_numbers_read_like_their_decimal_text() {
        #[derive(Deserialize)]
        struct P {
            p: Probability,
        }
        let read = |t: &str| toml::from_str::<P>(t).map(|p| p.p.parts_per_billion());
        assert_eq!(read("p = 0.05").unwrap(), 50_000_000);
        assert_eq!(read("p = \"0.05\"").unwrap(), 50_000_000);
        assert_eq!(read("p = 1").unwrap(), ONE);
        assert_eq!(read("p = 0").unwrap(), 0);
        assert!(read("p = 1.5").is_err());
        assert!(read("p = -1").is_err());
        assert!(read("p = 1e-12").is_err());
    }

    proptest! {
        #[test]
        fn display_round_trips(ppb in 0..=ONE) {
            let p = Probability(ppb);
            prop_assert_eq!(Probability::parse(&p.to_string()).unwrap(), p);
        }
    }
}
