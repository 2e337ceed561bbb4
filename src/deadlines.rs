//! A queue of deadlines: whatever comes due first comes out first.
//!
//! A binary min-heap rather than an ordered set. Deadlines are mostly pushed
//! in time order (now plus a fixed lifetime), which a heap takes in one
//! comparison where a set walks its tree, and they are only ever taken from
//! the front. The same deadline may be queued twice; the stores settle
//! idempotently, so the second one finds nothing to do.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

#[derive(Debug)]
pub(crate) struct Deadlines<K: Ord> {
    heap: BinaryHeap<Reverse<(DateTime<Utc>, K)>>,
    /// The length past which [`Deadlines::compact`] looks for deadlines of
    /// forgotten objects: twice what the last look kept, so each look is
    /// paid for by as many pushes as it visits.
    compact_above: usize,
}

/// The queue length below which compacting is never worth it.
const COMPACT_FLOOR: usize = 1024;

impl<K: Ord> Default for Deadlines<K> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            compact_above: COMPACT_FLOOR,
        }
    }
}

impl<K: Ord> Deadlines<K> {
    pub(crate) fn push(&mut self, at: DateTime<Utc>, key: K) {
        self.heap.push(Reverse((at, key)));
    }

    /// Keeps only the deadlines whose key `keep` accepts, once the queue
    /// has doubled since the last time: after a store forgot objects early
    /// to make room, their deadlines go too, so the queue stays as bounded
    /// as the store at O(1) amortised per push.
    pub(crate) fn compact(&mut self, mut keep: impl FnMut(&K) -> bool) {
        if self.heap.len() <= self.compact_above {
            return;
        }
        self.heap.retain(|Reverse((_, key))| keep(key));
        self.compact_above = (2 * self.heap.len()).max(COMPACT_FLOOR);
    }

    /// The earliest deadline at or before `now`, taken off the queue.
    pub(crate) fn pop_due(&mut self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, K)> {
        if self.heap.peek()?.0 .0 > now {
            return None;
        }
        let Reverse(due) = self.heap.pop()?;
        // Give memory back once most of the queue has come due, so a burst
        // of requests does not hold its high-water mark for ever.
        let capacity = self.heap.capacity();
        if capacity > 1024 && self.heap.len() < capacity / 4 {
            self.heap.shrink_to(capacity / 2);
        }
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn comes_out_in_time_order_and_only_when_due() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let at = |s: i64| t0 + TimeDelta::seconds(s);
        let mut queue = Deadlines::default();
        for (s, key) in [(30, "c"), (10, "a"), (20, "b"), (10, "a2"), (40, "d")] {
            queue.push(at(s), key);
        }
        assert_eq!(queue.pop_due(at(5)), None);
        let mut due = Vec::new();
        while let Some((when, key)) = queue.pop_due(at(30)) {
            due.push((when, key));
        }
        assert_eq!(
            due,
            [(at(10), "a"), (at(10), "a2"), (at(20), "b"), (at(30), "c")]
        );
        assert_eq!(queue.pop_due(at(39)), None);
        assert_eq!(queue.pop_due(at(40)), Some((at(40), "d")));
        assert_eq!(queue.pop_due(at(1000)), None);
    }

    #[test]
    fn compacting_drops_forgotten_keys_only_once_the_queue_doubled() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut queue = Deadlines::default();
        let mut looked = 0;
        for i in 0..COMPACT_FLOOR {
            queue.push(t0, i);
        }
        queue.compact(|_| {
            looked += 1;
            true
        });
        assert_eq!(looked, 0, "at the floor nothing is looked at");
        queue.push(t0, COMPACT_FLOOR);
        // Past it: the odd keys are forgotten ones.
        queue.compact(|k| {
            looked += 1;
            k % 2 == 0
        });
        assert_eq!(looked, COMPACT_FLOOR + 1);
        assert_eq!(queue.heap.len(), COMPACT_FLOOR / 2 + 1);
        assert_eq!(queue.compact_above, COMPACT_FLOOR + 2);
    }

    #[test]
    fn gives_memory_back_after_a_burst() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut queue = Deadlines::default();
        for i in 0..100_000 {
            queue.push(t0 + TimeDelta::milliseconds(i), i);
        }
        let high = queue.heap.capacity();
        while queue.pop_due(t0 + TimeDelta::seconds(99)).is_some() {}
        assert_eq!(queue.heap.len(), 999);
        assert!(
            queue.heap.capacity() < high / 8,
            "{}",
            queue.heap.capacity()
        );
    }
}
