//! How much the sandbox keeps. Two bounds hold at once:
//!
//! - **Per tenant and kind**: every kind of object a client can make (a
//!   login, an action request, a consent, a session) is capped per tenant
//!   (`settings.limits.live_objects`).
//! - **Per process**: a memory budget ([`Budget`], `--memory-budget`) that
//!   every tenant's objects and every library upload draw on, so a thousand
//!   tenants cannot add up to more than one machine holds.
//!
//! A store at a bound makes room by forgetting a finished object (expired,
//! decided, used up), which no client can still act on. It looks at a
//! bounded number of objects per request ([`PROBES`]), starting where the
//! last look stopped, so a create costs the same at every fill level; when
//! every object it looked at is live, it refuses at once with the
//! provider's own rate-limit answer. A client that keeps trying walks the
//! whole store in `len / PROBES` refused creates, and the sweeper forgets
//! expired objects on its own besides.

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

/// Live objects of one kind a tenant keeps by default: far more than a test
/// suite holds at once, few enough to bound memory (see `docs/limits.md`).
pub const DEFAULT_LIVE_OBJECTS: usize = 100_000;

/// The process's memory budget by default, in bytes: 1 GiB.
pub const DEFAULT_MEMORY_BUDGET: usize = 1 << 30;

/// What the budget counts for one live object. Measured objects take 400 to
/// 900 bytes with their indexes (the `fill` bench prints the figure); the
/// round number above keeps the process under its budget.
pub const OBJECT_COST: usize = 1024;

/// Objects a create at a bound looks at, at most, for a finished one.
pub const PROBES: usize = 8;

/// The most the sandbox reads of an answer to a call it makes itself
/// (Thredd's NotifyInitiateAction), by default: the rest is never read,
/// and the connection is dropped (`settings.limits.outbound_answer`).
pub const OUTBOUND_ANSWER_LIMIT: usize = 64 * 1024;

/// The largest answer a scenario rule may render, by default: a template
/// that repeats a large request value is refused rather than amplified
/// (`settings.limits.rendered_answer`).
pub const RENDERED_ANSWER_LIMIT: usize = 1024 * 1024;

/// `settings.limits` of a scenario file.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Objects of one kind (tokens, requests, challenges, ...) a tenant's
    /// store keeps before it refuses new ones.
    pub live_objects: NonZeroUsize,
    /// Bytes a rule's templated answer may render to; past it the request
    /// is answered 413 in the provider's envelope.
    pub rendered_answer: NonZeroUsize,
    /// Bytes the sandbox reads of an answer to a call it makes itself
    /// (Thredd's NotifyInitiateAction); the rest is never read.
    pub outbound_answer: NonZeroUsize,
}

impl Default for Limits {
    fn default() -> Self {
        let at_least_one = |n| NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN);
        Self {
            live_objects: at_least_one(DEFAULT_LIVE_OBJECTS),
            rendered_answer: at_least_one(RENDERED_ANSWER_LIMIT),
            outbound_answer: at_least_one(OUTBOUND_ANSWER_LIMIT),
        }
    }
}

/// The process's memory budget, shared by its tenants: bytes counted, not
/// measured (live objects at [`OBJECT_COST`] each, library uploads by
/// their size).
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(DEFAULT_MEMORY_BUDGET)
    }
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// The budget in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The bytes counted now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Counts `bytes` if they fit; whether they did.
    pub(crate) fn try_charge(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Counts `bytes` whether they fit or not: objects a store holds already.
    fn charge(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::AcqRel);
    }

    /// Gives `bytes` back.
    pub(crate) fn refund(&self, bytes: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }
}

/// Both bounds, as a store's operation sees them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cap<'a> {
    /// Objects of one kind the tenant keeps.
    pub(crate) live: NonZeroUsize,
    pub(crate) budget: &'a Arc<Budget>,
}

/// Which bound was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The tenant's cap on objects of a kind.
    Kind,
    /// The process's memory budget.
    Budget,
}

/// A bound is met and nothing finished can make room: answer with the
/// provider's rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full {
    /// The tenant's cap of a kind, which Weavr's rate-limit header states.
    pub(crate) cap: usize,
    pub(crate) bound: Bound,
}

impl Full {
    pub(crate) fn kind(cap: usize) -> Self {
        Self {
            cap,
            bound: Bound::Kind,
        }
    }

    /// The message every provider's rate-limit answer carries.
    pub(crate) fn message(self) -> String {
        match self.bound {
            Bound::Kind => format!(
                "Too many live objects: this sandbox tenant keeps at most {} of a kind (settings.limits.live_objects); finish or let some expire, or reset",
                self.cap
            ),
            Bound::Budget => "The sandbox's memory budget is spent (--memory-budget): finish or let objects expire, reset or drop tenants, or start it with a larger budget".to_owned(),
        }
    }
}

/// What a bounded log (the journal, a feed) holds of the budget: its entries
/// at a fixed cost each. Under a spent budget the log drops its oldest entry
/// for each new one, so a thousand tenants' logs stay within the budget too.
#[derive(Debug)]
pub(crate) struct Share {
    budget: Arc<Budget>,
    cost: usize,
    entries: usize,
}

impl Share {
    pub(crate) fn new(budget: Arc<Budget>, cost: usize) -> Self {
        Self {
            budget,
            cost,
            entries: 0,
        }
    }

    /// Whether one more entry fits, counting it if so.
    pub(crate) fn grow(&mut self) -> bool {
        let fits = self.budget.try_charge(self.cost);
        self.entries += usize::from(fits);
        fits
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.budget.refund(self.entries * self.cost);
    }
}

/// A map of one kind of object under both bounds. It reads like the
/// insertion-ordered map it wraps; [`Capped::make_room`] comes before each
/// insert of a new object.
#[derive(Debug)]
pub(crate) struct Capped<K, V> {
    /// Hashed as the sandbox's other hot maps are (`ids::FastMap`).
    map: IndexMap<K, V, foldhash::fast::RandomState>,
    /// Where the next look for a finished object starts.
    hand: usize,
    /// The budget charged, once a create has named it, and for how many
    /// objects.
    charged: Option<(Arc<Budget>, usize)>,
}

impl<K, V> Default for Capped<K, V> {
    fn default() -> Self {
        Self {
            map: IndexMap::default(),
            hand: 0,
            charged: None,
        }
    }
}

impl<K, V> Deref for Capped<K, V> {
    type Target = IndexMap<K, V, foldhash::fast::RandomState>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl<K, V> DerefMut for Capped<K, V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.map
    }
}

impl<K, V> Drop for Capped<K, V> {
    fn drop(&mut self) {
        if let Some((budget, objects)) = &self.charged {
            budget.refund(objects * OBJECT_COST);
        }
    }
}

impl<K: Hash + Eq, V> Capped<K, V> {
    /// Forgets `key`'s object. Order is not kept: the last object takes its
    /// place, in O(1).
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        Q: Hash + indexmap::Equivalent<K> + ?Sized,
    {
        let removed = self.map.swap_remove(key);
        self.settle();
        removed
    }

    /// Keeps the objects `keep` accepts (a sweep: it visits every one).
    pub(crate) fn retain(&mut self, keep: impl FnMut(&K, &mut V) -> bool) {
        self.map.retain(keep);
        self.settle();
    }

    /// Room for one more object: at once below both bounds; at one, by
    /// forgetting a finished object (`finished` says which are), which it
    /// hands back so the caller can drop what points at it; or not at all.
    pub(crate) fn make_room(
        &mut self,
        cap: Cap<'_>,
        mut finished: impl FnMut(&V) -> bool,
    ) -> Result<Option<(K, V)>, Full> {
        if self.charged.is_none() {
            self.charged = Some((cap.budget.clone(), 0));
        }
        self.settle();
        let live = cap.live.get();
        if self.map.len() >= live {
            return self
                .forget_one(&mut finished)
                .map(Some)
                .ok_or(Full::kind(live));
        }
        if !cap.budget.try_charge(OBJECT_COST) {
            // The object forgotten hands its share of the budget on.
            return self.forget_one(&mut finished).map(Some).ok_or(Full {
                cap: live,
                bound: Bound::Budget,
            });
        }
        if let Some((_, objects)) = &mut self.charged {
            // Counted ahead for the insert that follows; if none does, the
            // next settle gives it back.
            *objects += 1;
        }
        Ok(None)
    }

    /// Forgets the first finished object among the next [`PROBES`].
    fn forget_one(&mut self, finished: &mut impl FnMut(&V) -> bool) -> Option<(K, V)> {
        for _ in 0..PROBES.min(self.map.len()) {
            if self.hand >= self.map.len() {
                self.hand = 0;
            }
            let (_, value) = self.map.get_index(self.hand)?;
            if finished(value) {
                // The last object moves into this place and is looked at
                // first next time.
                return self.map.swap_remove_index(self.hand);
            }
            self.hand += 1;
        }
        None
    }

    /// Brings the budget in line with what the map holds.
    fn settle(&mut self) {
        let len = self.map.len();
        if let Some((budget, objects)) = &mut self.charged {
            if len > *objects {
                budget.charge((len - *objects) * OBJECT_COST);
            } else if len < *objects {
                budget.refund((*objects - len) * OBJECT_COST);
            }
            *objects = len;
        }
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
