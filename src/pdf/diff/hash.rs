//! Hash maps and sets keyed by object numbers (a leaf of the analysis: no dependency on the
//! other modules).

use std::hash::{BuildHasher, Hasher};

/// Hash maps and sets keyed by object numbers (and small tuples of them): the analysis hashes
/// millions of them on a large file, and SipHash dominated its profile. Keys come from the
/// file, so the multiplier is random per map (drawn from std's random hasher state): no fixed
/// function an attacker could aim colliding object numbers at.
pub(crate) type NumMap<K, V> = std::collections::HashMap<K, V, NumState>;
/// See [`NumMap`].
pub(crate) type NumSet<K> = std::collections::HashSet<K, NumState>;

/// A multiply-xorshift hasher with a random odd multiplier.
#[derive(Clone)]
pub(crate) struct NumState(u64);

impl Default for NumState {
    fn default() -> NumState {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x6b79_736f_u64);
        NumState(seed | 1)
    }
}

impl BuildHasher for NumState {
    type Hasher = NumHasher;
    fn build_hasher(&self) -> NumHasher {
        NumHasher { h: 0, m: self.0 }
    }
}

/// See [`NumState`].
pub(crate) struct NumHasher {
    h: u64,
    m: u64,
}

impl Hasher for NumHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.h = (self.h.rotate_left(23) ^ n).wrapping_mul(self.m);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        // The high bits of a product are the well-mixed ones; hashbrown indexes with the low.
        self.h ^ (self.h >> 32)
    }
}
