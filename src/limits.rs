//! How much a tenant's stores may keep: every kind of object a client can
//! make (a login, an action request, a consent, a session) is capped per
//! tenant, so a client that creates without end meets the provider's own
//! rate-limit answer instead of growing the sandbox's memory without end.
//!
//! A store at its cap first forgets what is finished (expired, decided,
//! used up), which no client can still act on; only when everything it holds
//! is live does it refuse. The check costs one comparison below the cap; at
//! the cap, one pass over the store.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::num::NonZeroUsize;

use serde::Deserialize;

/// Live objects of one kind a tenant keeps by default: far more than a test
/// suite holds at once, few enough to bound memory (see the README's
/// security section for what that comes to).
pub const DEFAULT_LIVE_OBJECTS: usize = 100_000;

/// `settings.limits` of a scenario file.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Objects of one kind (tokens, requests, challenges, ...) a tenant's
    /// store keeps before it refuses new ones.
    pub live_objects: NonZeroUsize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            live_objects: NonZeroUsize::new(DEFAULT_LIVE_OBJECTS).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// The store is full of live objects: answer with the provider's rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full {
    pub(crate) cap: usize,
}

impl Full {
    /// The message every provider's rate-limit answer carries.
    pub(crate) fn message(self) -> String {
        format!(
            "Too many live objects: this sandbox tenant keeps at most {} of a kind (settings.limits.live_objects); finish or let some expire, or reset",
            self.cap
        )
    }
}

/// Makes room for one more entry in `map`: below `cap` at once; at it, by
/// forgetting the entries `finished` picks, or not at all.
pub(crate) fn make_room<K, V, S>(
    map: &mut HashMap<K, V, S>,
    cap: NonZeroUsize,
    mut finished: impl FnMut(&V) -> bool,
) -> Result<(), Full>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    let cap = cap.get();
    if map.len() < cap {
        return Ok(());
    }
    map.retain(|_, v| !finished(v));
    if map.len() < cap {
        Ok(())
    } else {
        Err(Full { cap })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_forgets_finished_entries_first_then_refuses() {
        let cap = NonZeroUsize::new(3).unwrap();
        let mut map: HashMap<u32, bool> = HashMap::new();
        for (k, done) in [(1, true), (2, false), (3, false)] {
            make_room(&mut map, cap, |done| *done).unwrap();
            map.insert(k, done);
        }
        // At the cap: the finished one goes, the live ones stay.
        make_room(&mut map, cap, |done| *done).unwrap();
        assert!(!map.contains_key(&1) && map.len() == 2);
        map.insert(4, false);
        assert_eq!(make_room(&mut map, cap, |done| *done), Err(Full { cap: 3 }));
        assert_eq!(map.len(), 3);
    }
}
