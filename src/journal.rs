//! The request journal: what each provider was asked, what it answered, and which
//! scenario rule had a hand in it.
//!
//! Every provider request writes here, so the journal is sharded by provider:
//! requests to different providers never contend on one lock. Readers merge the
//! shards by sequence number.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;

use std::sync::Arc;

use crate::limits::{Budget, Share};
use crate::providers::Provider;

/// How many entries each provider's shard keeps.
const SHARD_CAPACITY: usize = 10_000;

/// One request as the journal records it. The query string is left out on
/// purpose: some clients put secrets there (Shine's poll takes `client_secret`).
#[derive(Clone, Debug, Serialize)]
pub struct JournalEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(serialize_with = "method_str")]
    pub method: hyper::Method,
    pub path: String,
    pub provider: Provider,
    /// The operation id, or `None` when the path matched no operation.
    pub operation: Option<&'static str>,
    pub status: u16,
    pub duration_ms: f64,
    /// The scenario rule that applied, as `#<index>` or its name.
    pub rule: Option<std::sync::Arc<str>>,
}

fn method_str<S: serde::Serializer>(m: &hyper::Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

/// Filters for reading the journal.
#[derive(Debug, Default)]
pub(crate) struct JournalQuery<'a> {
    pub(crate) provider: Option<&'a str>,
    pub(crate) operation: Option<&'a str>,
    pub(crate) limit: Option<usize>,
}

/// What an entry counts against the memory budget.
const ENTRY_COST: usize = 256;

#[derive(Debug)]
pub(crate) struct Journal {
    seq: AtomicU64,
    shards: Vec<Mutex<Shard>>,
}

#[derive(Debug)]
struct Shard {
    entries: VecDeque<JournalEntry>,
    share: Share,
}

impl Journal {
    /// An empty journal whose entries draw on `budget`.
    pub(crate) fn new(budget: &Arc<Budget>) -> Self {
        Self {
            seq: AtomicU64::new(0),
            shards: Provider::ALL
                .iter()
                .map(|_| {
                    Mutex::new(Shard {
                        entries: VecDeque::new(),
                        share: Share::new(budget.clone(), ENTRY_COST),
                    })
                })
                .collect(),
        }
    }
}

impl Journal {
    /// The next `seq`, for a request whose entry comes later.
    pub(crate) fn reserve(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Records an entry under `seq` (from [`Journal::reserve`]), or the next
    /// one when `seq` is 0.
    pub(crate) fn record(&self, seq: u64, build: impl FnOnce(u64) -> JournalEntry) {
        let seq = if seq == 0 { self.reserve() } else { seq };
        let entry = build(seq);
        let mut shard = self.shards[entry.provider as usize].lock();
        // Full, or the budget spent: the oldest entry makes way.
        let full = shard.entries.len() == SHARD_CAPACITY;
        let spent = !full && !shard.share.grow();
        // An empty shard keeps its one entry, counted or not.
        let evicted = if full || (spent && !shard.entries.is_empty()) {
            shard.entries.pop_front()
        } else {
            None
        };
        shard.entries.push_back(entry);
        // The entry that fell off is freed after the lock is released.
        drop(shard);
        drop(evicted);
    }

    /// Matching entries, oldest first; `limit` keeps the newest ones.
    pub(crate) fn read(&self, query: &JournalQuery<'_>) -> Vec<JournalEntry> {
        let mut out: Vec<JournalEntry> = Vec::new();
        for (provider, shard) in Provider::ALL.iter().zip(&self.shards) {
            if query.provider.is_some_and(|p| p != provider.name()) {
                continue;
            }
            out.extend(
                shard
                    .lock()
                    .entries
                    .iter()
                    .filter(|e| query.operation.is_none_or(|op| e.operation == Some(op)))
                    .cloned(),
            );
        }
        out.sort_unstable_by_key(|e| e.seq);
        if let Some(limit) = query.limit {
            let skip = out.len().saturating_sub(limit);
            out.drain(..skip);
        }
        out
    }
}
