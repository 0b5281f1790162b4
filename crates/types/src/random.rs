//! The one seeded pseudo-random generator of the workspace.
//!
//! Every random choice Telltale makes (the machine's default handler, the
//! decider of `tell serve`, the fault-injection middleware, the generators
//! of the property tests) comes from here, so the same seed gives the same
//! choices everywhere and on every platform.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014): a 64-bit counter advanced
//! by a fixed odd increment and passed through a mixing function. Because
//! the n-th output is a pure function of the seed and n ([`splitmix64`]),
//! a consumer that must resume mid-run (the default handler after a
//! checkpoint) only saves how many numbers it drew. It is not
//! cryptographic: keys and nonces come from elsewhere.

/// The increment of the counter (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The output of a generator whose counter stands at `x`: a well-mixed
/// 64-bit value, for choices recomputed from a seed and a count alone.
///
/// `splitmix64(seed.wrapping_add(n * GAMMA))` is the `n`-th output of
/// `SeededRng::new(seed)`; consumers that derive values from a seed and a
/// small counter (`splitmix64(seed + n)`) get independent-looking values.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded stream of pseudo-random numbers (SplitMix64).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// The stream for `seed`: equal seeds give equal streams.
    pub fn new(seed: u64) -> Self {
        SeededRng { state: seed }
    }

    /// The stream's position: `SeededRng::new(rng.state())` continues
    /// exactly where `rng` is (what a simulator checkpoint saves).
    pub fn state(&self) -> u64 {
        self.state
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let out = splitmix64(self.state);
        self.state = self.state.wrapping_add(GAMMA);
        out
    }

    /// A number in `0..n` (`0` when `n` is `0`), by reduction modulo `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }

    /// An index into a collection of `len` items (`0` when it is empty).
    pub fn index(&mut self, len: usize) -> usize {
        // `usize` is at most 64 bits, so `len` fits and the result is below it.
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// A uniform float in `[0, 1)` (53 random bits).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_stream_is_the_published_splitmix64() {
        // Reference outputs of SplitMix64 seeded with 0 and with 1234567.
        let mut zero = SeededRng::new(0);
        assert_eq!(zero.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(zero.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(zero.next_u64(), 0x06C4_5D18_8009_454F);
        let mut other = SeededRng::new(1_234_567);
        assert_eq!(other.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(other.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn empty_ranges_give_zero() {
        let mut rng = SeededRng::new(3);
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.index(0), 0);
    }

    proptest! {
        #[test]
        fn the_nth_output_is_a_function_of_seed_and_n(seed in any::<u64>(), n in 0u64..64) {
            let mut rng = SeededRng::new(seed);
            for _ in 0..n {
                rng.next_u64();
            }
            let at = seed.wrapping_add(n.wrapping_mul(GAMMA));
            prop_assert_eq!(rng.next_u64(), splitmix64(at));
        }

        #[test]
        fn ranges_are_respected(seed in any::<u64>(), n in 1u64..1000, len in 1usize..1000) {
            let mut rng = SeededRng::new(seed);
            prop_assert!(rng.below(n) < n);
            prop_assert!(rng.index(len) < len);
            let x = rng.unit();
            prop_assert!((0.0..1.0).contains(&x), "{}", x);
        }

        #[test]
        fn equal_seeds_give_equal_streams(seed in any::<u64>()) {
            let (mut a, mut b) = (SeededRng::new(seed), SeededRng::new(seed));
            for _ in 0..32 {
                prop_assert_eq!(a.next_u64(), b.next_u64());
            }
        }
    }
}
