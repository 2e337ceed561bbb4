//! The deliveries of one world, with their attempts, the retries due on the
//! clock, and the built-in receiver's inbox.
//!
//! Deliveries are a bounded, insertion-ordered map: the oldest is forgotten
//! once [`CAPACITY`] is reached, so a long run keeps a flat memory profile.
//! Retries wait in a set ordered by due time, so finding the due ones costs
//! only what is due.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use super::Hook;
use crate::limits::Budget;
use crate::outbox::{Entry, Feed};
use crate::providers::ScriptedCall;

/// How many deliveries a world keeps.
pub(crate) const CAPACITY: usize = 1_000;
/// How many arrivals the inbox keeps, over all its names.
const INBOX_CAPACITY: usize = 2_000;
/// What one arrival counts against the memory budget.
const ARRIVAL_COST: usize = 2_048;
/// How much of a receiver's answer a delivery keeps.
pub(crate) const ANSWER_KEPT: usize = 512;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// An attempt is on its way or waiting for its delay.
    Pending,
    /// Held back by an `out_of_order` fault until a later event has gone.
    Held,
    /// The last attempt failed; another is due at `next_attempt_at`.
    Retrying,
    Delivered,
    /// Every attempt the policy allows failed.
    Failed,
    /// A scenario rule dropped it: it was never sent.
    Dropped,
}

/// One try at delivering.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Attempt {
    pub(crate) attempt: u32,
    pub(crate) at: DateTime<Utc>,
    /// The receiver's status, when it answered.
    pub(crate) status: Option<u16>,
    pub(crate) latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// The start of the receiver's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) answer: Option<String>,
    /// The scenario rule that shaped the attempt, and what it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rule: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) id: String,
    pub(crate) hook: Hook,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) state: State,
    pub(crate) attempts: Vec<Attempt>,
    pub(crate) next_at: Option<DateTime<Utc>>,
    /// A rule's effect drawn for the next attempt, carried over its delay.
    pub(crate) carried: Option<ScriptedCall>,
    /// An attempt runs now: no second one starts beside it.
    pub(crate) running: bool,
    /// Whether a retry may follow a failed attempt (a redelivery by hand is
    /// one attempt).
    pub(crate) retries: bool,
}

impl Serialize for Delivery {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("provider", self.hook.provider.name())?;
        map.serialize_entry("event", self.hook.event)?;
        map.serialize_entry("operation", self.hook.operation)?;
        map.serialize_entry("subject", &self.hook.subject)?;
        map.serialize_entry("url", &self.hook.url)?;
        map.serialize_entry("state", &self.state)?;
        map.serialize_entry("created_at", &self.created_at)?;
        map.serialize_entry("next_attempt_at", &self.next_at)?;
        map.serialize_entry("attempts", &self.attempts)?;
        let headers: BTreeMap<&str, &str> = self
            .hook
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        map.serialize_entry("headers", &headers)?;
        let body: Value = serde_json::from_str(&self.hook.body).unwrap_or(Value::Null);
        map.serialize_entry("body", &body)?;
        map.end()
    }
}

/// A webhook the built-in receiver got.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Arrival {
    pub(crate) seq: u64,
    pub(crate) id: String,
    /// The inbox's name (`inbox:<name>`).
    pub(crate) inbox: String,
    pub(crate) provider: &'static str,
    pub(crate) event: String,
    /// The delivery it came from.
    pub(crate) delivery: Option<String>,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Value,
    /// Whether its signature checks out with the provider's key (`None` for
    /// a call the engine did not send).
    pub(crate) verified: Option<bool>,
    pub(crate) received_at: DateTime<Utc>,
}

impl Entry for Arrival {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn at(&self) -> DateTime<Utc> {
        self.received_at
    }
}

#[derive(Debug, Default)]
struct Inner {
    deliveries: IndexMap<String, Delivery>,
    due: BTreeSet<(DateTime<Utc>, String)>,
    /// How many are held by `out_of_order`: a finished attempt looks for
    /// them only when there are some.
    held: usize,
    next: u64,
}

/// The webhooks of one world.
#[derive(Debug)]
pub(crate) struct Webhooks {
    inner: Mutex<Inner>,
    /// What the built-in receiver got.
    pub(crate) inbox: Feed<Arrival>,
}

impl Webhooks {
    pub(crate) fn new(budget: &Arc<Budget>) -> Self {
        Self {
            inner: Mutex::default(),
            inbox: Feed::budgeted(INBOX_CAPACITY, budget, ARRIVAL_COST),
        }
    }

    /// Records a new delivery; [`Webhooks::claim`] starts its first attempt.
    pub(crate) fn open(&self, hook: Hook, now: DateTime<Utc>) -> String {
        let mut inner = self.inner.lock();
        inner.next += 1;
        let id = format!("whd_{}", inner.next);
        if inner.deliveries.len() >= CAPACITY {
            if let Some((_, old)) = inner.deliveries.shift_remove_index(0) {
                forget(&mut inner, &old);
            }
        }
        let delivery = Delivery {
            id: id.clone(),
            hook,
            created_at: now,
            state: State::Pending,
            attempts: Vec::new(),
            next_at: None,
            carried: None,
            running: false,
            retries: true,
        };
        inner.deliveries.insert(id.clone(), delivery);
        id
    }

    /// Claims a delivery for one attempt: its hook, the effect carried over
    /// a delay, and the attempt's number. `None` when it is gone or an
    /// attempt already runs.
    pub(crate) fn claim(&self, id: &str) -> Option<(Hook, Option<ScriptedCall>, u32)> {
        let mut inner = self.inner.lock();
        let d = inner.deliveries.get_mut(id)?;
        if d.running {
            return None;
        }
        d.running = true;
        d.state = State::Pending;
        d.next_at = None;
        Some((
            d.hook.clone(),
            d.carried.take(),
            d.attempts.len() as u32 + 1,
        ))
    }

    /// Puts an attempt off until `at`, keeping the rule's effect for it.
    pub(crate) fn defer(&self, id: &str, at: DateTime<Utc>, state: State, carried: ScriptedCall) {
        let mut inner = self.inner.lock();
        let Some(d) = inner.deliveries.get_mut(id) else {
            return;
        };
        d.running = false;
        d.state = state;
        d.next_at = Some(at);
        d.carried = Some(carried);
        if state == State::Held {
            inner.held += 1;
        }
        inner.due.insert((at, id.to_owned()));
    }

    /// Records an attempt and what follows: done, or a retry at `retry_at`.
    pub(crate) fn finish(
        &self,
        id: &str,
        attempt: Attempt,
        state: State,
        retry_at: Option<DateTime<Utc>>,
    ) {
        let mut inner = self.inner.lock();
        let Some(d) = inner.deliveries.get_mut(id) else {
            return;
        };
        d.running = false;
        d.attempts.push(attempt);
        let retry_at = retry_at.filter(|_| d.retries);
        d.state = match (state, retry_at) {
            (State::Failed, Some(_)) => State::Retrying,
            (state, _) => state,
        };
        d.next_at = retry_at.filter(|_| d.state == State::Retrying);
        if let Some(at) = d.next_at {
            inner.due.insert((at, id.to_owned()));
        }
    }

    /// Releases the deliveries an `out_of_order` fault holds for `url`: an
    /// event after them has now gone.
    pub(crate) fn release_held(&self, url: &str, now: DateTime<Utc>) -> Vec<String> {
        let mut inner = self.inner.lock();
        if inner.held == 0 {
            return Vec::new();
        }
        let held: Vec<(String, Option<DateTime<Utc>>)> = inner
            .deliveries
            .values()
            .filter(|d| d.state == State::Held && d.hook.url == url && !d.running)
            .map(|d| (d.id.clone(), d.next_at))
            .collect();
        for (id, at) in &held {
            if let Some(at) = at {
                inner.due.remove(&(*at, id.clone()));
            }
            if let Some(d) = inner.deliveries.get_mut(id) {
                d.next_at = Some(now);
            }
        }
        inner.held -= held.len().min(inner.held);
        held.into_iter().map(|(id, _)| id).collect()
    }

    /// Deliveries whose next attempt has come due.
    pub(crate) fn take_due(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut inner = self.inner.lock();
        let mut ids = Vec::new();
        while let Some(first) = inner.due.first() {
            if first.0 > now {
                break;
            }
            let Some((_, id)) = inner.due.pop_first() else {
                break;
            };
            if let Some(d) = inner.deliveries.get(&id) {
                if d.state == State::Held {
                    inner.held = inner.held.saturating_sub(1);
                }
            }
            ids.push(id);
        }
        ids
    }

    /// A new attempt by hand, whatever came before: `None` for an unknown id
    /// or one whose attempt runs now.
    pub(crate) fn reopen(&self, id: &str) -> Option<()> {
        let mut inner = self.inner.lock();
        let d = inner.deliveries.get_mut(id)?;
        if d.running {
            return None;
        }
        let was = d.next_at.take().map(|at| (at, d.id.clone()));
        let held = d.state == State::Held;
        d.retries = false;
        d.carried = None;
        if let Some(key) = was {
            inner.due.remove(&key);
        }
        if held {
            inner.held = inner.held.saturating_sub(1);
        }
        Some(())
    }

    /// The deliveries, newest first, as the control API lists them.
    pub(crate) fn list(&self, filter: impl Fn(&Delivery) -> bool, limit: usize) -> Value {
        let inner = self.inner.lock();
        let list: Vec<&Delivery> = inner
            .deliveries
            .values()
            .rev()
            .filter(|d| filter(d))
            .take(limit)
            .collect();
        serde_json::to_value(list).unwrap_or(Value::Null)
    }

    /// One delivery, as the control API shows it.
    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        let inner = self.inner.lock();
        inner
            .deliveries
            .get(id)
            .and_then(|d| serde_json::to_value(d).ok())
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.lock().deliveries.len()
    }
}

fn forget(inner: &mut Inner, old: &Delivery) {
    if let Some(at) = old.next_at {
        inner.due.remove(&(at, old.id.clone()));
    }
    if old.state == State::Held {
        inner.held = inner.held.saturating_sub(1);
    }
}
