//! Identifiers, one-time codes and tokens from one seeded generator.
//!
//! A scenario with a `seed` gives the same ids, OTPs and tokens on every run, which
//! is what contract tests and recorded demos need. Without a seed the generator is
//! seeded from the process's random hasher keys, so values differ between runs.
//!
//! The generator is a counter fed through SplitMix64: one atomic add per value and
//! no lock and no syscall on the request path.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// A map keyed by ids the sandbox made or names from the fixtures, on a
/// request's hot path. foldhash is several times quicker than the standard
/// SipHash on short keys, and still randomly seeded; clients only look keys
/// up here, they never choose what is inserted.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Characters of opaque tokens: URL-safe and unambiguous in logs and headers.
const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The seeded source of every generated value in one sandbox world.
#[derive(Debug)]
pub(crate) struct IdGen {
    seed: u64,
    counter: AtomicU64,
}

impl IdGen {
    /// A generator that repeats its sequence for the same seed.
    pub(crate) fn new(seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(random_seed);
        Self {
            seed,
            counter: AtomicU64::new(0),
        }
    }

    pub(crate) fn next_u64(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        splitmix64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// A version-4-shaped UUID.
    pub(crate) fn uuid(&self) -> Uuid {
        let hi = u128::from(self.next_u64());
        let lo = u128::from(self.next_u64());
        uuid::Builder::from_random_bytes(((hi << 64) | lo).to_be_bytes()).into_uuid()
    }

    /// A numeric code of `len` digits, such as an SMS one-time password.
    pub(crate) fn digits(&self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'0' + (self.next_u64() % 10) as u8))
            .collect()
    }

    /// `len` lowercase hexadecimal digits, for ids shaped like Weavr's.
    pub(crate) fn hex(&self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[(self.next_u64() % 16) as usize]))
            .collect()
    }

    /// An opaque token of `len` alphanumeric characters.
    pub(crate) fn token(&self, len: usize) -> String {
        (0..len)
            .map(|_| {
                let i = (self.next_u64() % TOKEN_ALPHABET.len() as u64) as usize;
                char::from(TOKEN_ALPHABET[i])
            })
            .collect()
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The standard library seeds `RandomState` from the operating system once per
/// thread, which is all the entropy an unseeded sandbox needs.
fn random_seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0x5CA);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let (a, b) = (IdGen::new(Some(42)), IdGen::new(Some(42)));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.token(32), b.token(32));
        assert_eq!(a.digits(6), b.digits(6));
        assert_ne!(IdGen::new(Some(43)).uuid(), IdGen::new(Some(42)).uuid());
    }

    #[test]
    fn values_have_their_shapes() {
        let ids = IdGen::new(None);
        assert_eq!(ids.uuid().get_version_num(), 4);
        let otp = ids.digits(6);
        assert!(otp.len() == 6 && otp.bytes().all(|b| b.is_ascii_digit()));
        let hex = ids.hex(24);
        assert!(hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        let token = ids.token(40);
        assert!(token.len() == 40 && token.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
