//! Identifiers of machine objects.

/// A session number, unique over the machine's lifetime.
pub type SessionId = u64;
/// A coroutine number, unique over the machine's lifetime.
pub type CoroId = u32;
/// An interned handler identity.
pub type HandlerId = u16;
/// The scheduler clock.
pub type Tick = u64;

/// A fast hasher for the machine's integer ids and the explorer's state
/// fingerprints (the std SipHash is built to resist adversarial keys,
/// which these are not).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A hash map keyed by machine ids, used for lookups only (never iterated
/// where order matters).
pub type IdMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;
