//! Idempotency keys, for providers that honour one (Weavr's `idempotency-ref`).
//!
//! A key is the caller's reference together with who sent it, the operation and
//! a hash of the body, as Weavr describes ("taking into consideration the
//! payload as well as the operation"). While the first request with a key runs,
//! a repeat is refused; once it has answered, a repeat gets the same answer
//! again, for 24 hours of sandbox time.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use hyper::StatusCode;
use parking_lot::Mutex;

use crate::clock::Clock;
use crate::deadlines::Deadlines;
use crate::http::{self, Response};
use crate::limits::{Cap, Capped, Full};

/// How long a finished answer is replayed.
const KEEP_FOR: TimeDelta = TimeDelta::hours(24);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key {
    operation: &'static str,
    caller: String,
    reference: String,
    body: u64,
}

impl Key {
    pub(crate) fn new(operation: &'static str, caller: &str, reference: &str, body: &[u8]) -> Self {
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        Self {
            operation,
            caller: caller.to_owned(),
            reference: reference.to_owned(),
            body: hasher.finish(),
        }
    }
}

#[derive(Debug)]
enum Entry {
    InFlight,
    Done {
        status: StatusCode,
        body: Bytes,
        expires_at: DateTime<Utc>,
    },
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub(crate) enum Begin {
    /// First of its key: run it, then [`Ticket::finish`].
    Fresh(Ticket),
    /// The first request with this key has not answered yet.
    InProgress,
    /// Already answered: answer the same.
    Replay(Response),
    /// Too many keys are kept already: answer with the rate limit.
    Full(Full),
}

#[derive(Debug, Default)]
pub(crate) struct Idempotency {
    /// Shared with the tickets, which outlive the borrow of the world.
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: Capped<Key, Entry>,
    expiries: Deadlines<Key>,
}

impl Idempotency {
    /// Takes `key` at the clock's time; `cap` bounds the keys kept.
    pub(crate) fn begin(&self, clock: &Clock, cap: Cap<'_>, key: Key) -> Begin {
        let now = clock.now();
        let mut inner = self.inner.lock();
        match inner.entries.get(&key) {
            Some(Entry::InFlight) => Begin::InProgress,
            Some(Entry::Done {
                status,
                body,
                expires_at,
            }) if *expires_at > now => {
                Begin::Replay(http::with_type(*status, body.clone(), "application/json"))
            }
            _ => {
                // Answers past their 24 hours go first; keys still in use
                // or replayable are never dropped to make room.
                let room = inner.entries.make_room(
                    cap,
                    |e| matches!(e, Entry::Done { expires_at, .. } if *expires_at <= now),
                );
                if let Err(full) = room {
                    return Begin::Full(full);
                }
                inner.entries.insert(key.clone(), Entry::InFlight);
                Begin::Fresh(Ticket {
                    inner: self.inner.clone(),
                    clock: clock.clone(),
                    key: Some(key),
                })
            }
        }
    }

    /// Forgets answers older than 24 hours.
    pub(crate) fn sweep(&self, now: DateTime<Utc>) {
        let mut inner = self.inner.lock();
        while let Some((_, key)) = inner.expiries.pop_due(now) {
            if matches!(inner.entries.get(&key), Some(Entry::Done { expires_at, .. }) if *expires_at <= now)
            {
                inner.entries.remove(&key);
            }
        }
    }
}

/// The right to run the first request of a key. Dropped unfinished (the
/// connection went away, a fault dropped it), it frees the key for a retry.
#[derive(Debug)]
pub(crate) struct Ticket {
    inner: Arc<Mutex<Inner>>,
    clock: Clock,
    key: Option<Key>,
}

impl Ticket {
    /// Records the answer for replay. Server errors are not kept, so a retry
    /// after one runs again.
    pub(crate) fn finish(mut self, status: StatusCode, body: Bytes) {
        let Some(key) = self.key.take() else { return };
        let mut inner = self.inner.lock();
        if status.is_server_error() {
            inner.entries.remove(&key);
            return;
        }
        let expires_at = self.clock.now() + KEEP_FOR;
        inner.expiries.push(expires_at, key.clone());
        inner.entries.insert(
            key,
            Entry::Done {
                status,
                body,
                expires_at,
            },
        );
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.inner.lock().entries.remove(&key);
        }
    }
}
