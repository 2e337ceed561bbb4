//! The SMS outbox and the SCA event timeline: append-only feeds with long-poll.
//!
//! Both are bounded rings, so a sandbox that runs for days keeps a flat memory
//! profile: the oldest entries fall off once `capacity` is reached. Waiters never
//! hold the lock; they watch a sequence number and re-read when it moves.

use std::collections::VecDeque;
use std::time::Duration;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

use crate::limits::{Budget, Share};

/// How many entries a feed keeps before dropping the oldest.
pub(crate) const FEED_CAPACITY: usize = 10_000;

/// One text message the sandbox "sent" to an end user.
#[derive(Clone, Debug, Serialize)]
pub struct Sms {
    /// Position in the outbox; `since=<seq>` returns later messages.
    pub seq: u64,
    pub id: String,
    pub provider: &'static str,
    pub to: String,
    pub text: String,
    /// The one-time code in the text, when there is one.
    pub code: Option<String>,
    /// What the code is for, e.g. `stepup` or `change_request`.
    pub purpose: String,
    /// The object the message belongs to (challenge id, change request id, ...).
    pub reference: Option<String>,
    pub sent_at: DateTime<Utc>,
}

/// One step of an SCA flow, as shown on the timeline. Its `id` is
/// `evt_<seq>`, derived when serialised, so recording an event allocates only
/// its subject.
#[derive(Clone, Debug)]
pub struct Event {
    pub seq: u64,
    /// Dotted name such as `action_request.confirmed`.
    pub kind: &'static str,
    pub provider: &'static str,
    /// The object the event is about.
    pub subject: String,
    pub at: DateTime<Utc>,
    pub data: Value,
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("seq", &self.seq)?;
        map.serialize_entry("id", &format_args!("evt_{}", self.seq))?;
        map.serialize_entry("type", self.kind)?;
        map.serialize_entry("provider", self.provider)?;
        map.serialize_entry("subject", &self.subject)?;
        map.serialize_entry("at", &self.at)?;
        if !self.data.is_null() {
            map.serialize_entry("data", &self.data)?;
        }
        map.end()
    }
}

/// What a feed entry offers to filters.
pub(crate) trait Entry: Clone {
    fn seq(&self) -> u64;
    fn at(&self) -> DateTime<Utc>;
}

impl Entry for Sms {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn at(&self) -> DateTime<Utc> {
        self.sent_at
    }
}

impl Entry for Event {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

/// Where a reader starts: after a sequence number or after an instant.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) enum Since {
    #[default]
    Start,
    Seq(u64),
    Time(DateTime<Utc>),
}

impl Since {
    /// Accepts a sequence number or an RFC 3339 timestamp.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        if let Ok(seq) = raw.parse() {
            return Some(Self::Seq(seq));
        }
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| Self::Time(t.to_utc()))
    }

    fn admits<T: Entry>(self, entry: &T) -> bool {
        match self {
            Self::Start => true,
            Self::Seq(seq) => entry.seq() > seq,
            Self::Time(t) => entry.at() > t,
        }
    }
}

/// A bounded, append-only feed with long-poll readers.
#[derive(Debug)]
pub(crate) struct Feed<T> {
    inner: Mutex<Ring<T>>,
    /// Wakes readers; sent only when someone is waiting, so a busy feed with
    /// no readers pays no notification cost.
    appended: watch::Sender<()>,
}

#[derive(Debug)]
struct Ring<T> {
    items: VecDeque<T>,
    last_seq: u64,
    capacity: usize,
    /// What the entries count against the memory budget, if anything.
    share: Option<Share>,
}

impl<T: Entry> Feed<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Ring {
                items: VecDeque::new(),
                last_seq: 0,
                capacity,
                share: None,
            }),
            appended: watch::channel(()).0,
        }
    }

    /// A feed whose entries draw on `budget` at `cost` each: once it is
    /// spent, the oldest entry makes way for each new one.
    pub(crate) fn budgeted(capacity: usize, budget: &Arc<Budget>, cost: usize) -> Self {
        let feed = Self::new(capacity);
        feed.inner.lock().share = Some(Share::new(budget.clone(), cost));
        feed
    }

    /// Appends the entry built from the next sequence number.
    pub(crate) fn push(&self, build: impl FnOnce(u64) -> T) {
        self.push_then(build, |_| ());
    }

    /// Like [`Feed::push`], and returns a copy of the entry.
    pub(crate) fn push_cloned(&self, build: impl FnOnce(u64) -> T) -> T {
        self.push_then(build, T::clone)
    }

    /// Appends, keeping what `keep` takes from the entry. The entry that
    /// falls off is dropped after the lock is released.
    fn push_then<R>(&self, build: impl FnOnce(u64) -> T, keep: impl FnOnce(&T) -> R) -> R {
        let (kept, _evicted) = {
            let mut ring = self.inner.lock();
            ring.last_seq += 1;
            let entry = build(ring.last_seq);
            // Full, or the budget spent: the oldest entry makes way. The
            // budget is asked only below the capacity, where the feed grows.
            let full = ring.items.len() == ring.capacity;
            let spent = !full && ring.share.as_mut().is_some_and(|s| !s.grow());
            // An empty feed keeps its one entry, counted or not.
            let evicted = if full || (spent && !ring.items.is_empty()) {
                ring.items.pop_front()
            } else {
                None
            };
            let kept = keep(&entry);
            ring.items.push_back(entry);
            (kept, evicted)
        };
        // A reader subscribes before it reads the ring, so one that subscribes
        // after this check still finds the entry when it reads.
        if self.appended.receiver_count() > 0 {
            self.appended.send_replace(());
        }
        kept
    }

    /// The entries after `since` that pass `filter`, oldest first.
    pub(crate) fn list(&self, since: Since, filter: impl Fn(&T) -> bool) -> Vec<T> {
        self.inner
            .lock()
            .items
            .iter()
            .filter(|e| since.admits(*e) && filter(e))
            .cloned()
            .collect()
    }

    /// Like [`Feed::list`], but when nothing matches yet, waits up to `wait` for
    /// the first matching entry to arrive, or until `stop` resolves.
    pub(crate) async fn wait(
        &self,
        since: Since,
        wait: Duration,
        filter: impl Fn(&T) -> bool,
        stop: impl std::future::Future<Output = ()>,
    ) -> Vec<T> {
        let mut appended = self.appended.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        tokio::pin!(stop);
        loop {
            appended.borrow_and_update();
            let found = self.list(since, &filter);
            if !found.is_empty() {
                return found;
            }
            tokio::select! {
                changed = tokio::time::timeout_at(deadline, appended.changed()) => match changed {
                    Ok(Ok(())) => continue,
                    Ok(Err(_)) | Err(_) => return Vec::new(),
                },
                () = &mut stop => return Vec::new(),
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.lock().items.len()
    }
}

/// An SMS about to be sent.
#[derive(Debug)]
pub(crate) struct SmsDraft {
    pub(crate) provider: &'static str,
    pub(crate) to: String,
    pub(crate) text: String,
    pub(crate) code: Option<String>,
    pub(crate) purpose: String,
    pub(crate) reference: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(seq: u64, to: &str) -> Sms {
        Sms {
            seq,
            id: format!("sms-{seq}"),
            provider: "test",
            to: to.into(),
            text: "code 123456".into(),
            code: Some("123456".into()),
            purpose: "test".into(),
            reference: None,
            sent_at: Utc::now(),
        }
    }

    #[test]
    fn a_full_feed_drops_its_oldest_entry() {
        let feed = Feed::new(2);
        for _ in 0..3 {
            feed.push(|seq| sms(seq, "+1"));
        }
        let seqs: Vec<u64> = feed
            .list(Since::Start, |_| true)
            .iter()
            .map(|s| s.seq)
            .collect();
        assert_eq!(seqs, vec![2, 3]);
    }

    #[test]
    fn a_full_feed_counts_against_the_budget_no_more_than_it_holds() {
        let budget = std::sync::Arc::new(crate::limits::Budget::new(1 << 20));
        let feed = Feed::budgeted(2, &budget, 100);
        for _ in 0..50 {
            feed.push(|seq| sms(seq, "+1"));
        }
        assert_eq!(budget.used(), 2 * 100);
        drop(feed);
        assert_eq!(budget.used(), 0);
        // A spent budget keeps the feed to what it has.
        let tight = std::sync::Arc::new(crate::limits::Budget::new(100));
        let feed = Feed::budgeted(10, &tight, 100);
        for _ in 0..5 {
            feed.push(|seq| sms(seq, "+1"));
        }
        assert_eq!(feed.len(), 1, "the one the budget counts");
        assert_eq!(tight.used(), 100);
    }

    #[test]
    fn since_accepts_a_sequence_number_or_a_timestamp() {
        assert!(matches!(Since::parse("7"), Some(Since::Seq(7))));
        assert!(matches!(
            Since::parse("2026-01-01T00:00:00Z"),
            Some(Since::Time(_))
        ));
        assert!(Since::parse("yesterday").is_none());
    }

    #[tokio::test]
    async fn wait_returns_the_next_matching_entry() {
        let feed = std::sync::Arc::new(Feed::new(10));
        feed.push(|seq| sms(seq, "+1"));
        let reader = tokio::spawn({
            let feed = feed.clone();
            async move {
                let never = std::future::pending();
                feed.wait(
                    Since::Seq(1),
                    Duration::from_secs(10),
                    |s| s.to == "+2",
                    never,
                )
                .await
            }
        });
        tokio::task::yield_now().await;
        feed.push(|seq| sms(seq, "+1"));
        feed.push(|seq| sms(seq, "+2"));
        let got = reader.await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].seq, 3);
    }

    #[tokio::test]
    async fn wait_gives_up_with_nothing() {
        let feed: Feed<Sms> = Feed::new(10);
        let never = std::future::pending();
        let got = feed
            .wait(Since::Start, Duration::from_millis(10), |_| true, never)
            .await;
        assert!(got.is_empty());
    }

    #[tokio::test]
    async fn wait_ends_at_once_when_told_to_stop() {
        let feed: Feed<Sms> = Feed::new(10);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let reader = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            feed.wait(Since::Start, Duration::from_secs(3600), |_| true, stopped)
                .await
        });
        tokio::task::yield_now().await;
        assert!(!reader.is_finished());
        stop.send(()).unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .expect("the wait ended when told")
            .unwrap();
        assert!(got.is_empty());
    }
}
