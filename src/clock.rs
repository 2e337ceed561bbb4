//! The sandbox clock: the one source of "now" for every lifetime in the product.
//!
//! It runs in one of two modes:
//! - **running**: system time plus an offset that `advance` and `set` move;
//! - **frozen**: a fixed instant that moves only when `advance` or `set` is called.
//!
//! Everything that waits on sandbox time (scenario delays, simulated users,
//! expiry sweeps) uses [`Clock::sleep_until`], which also wakes when the clock is
//! moved, so a test that advances the clock by five minutes sees five minutes'
//! worth of consequences at once and never sleeps.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;

/// Sentinel stored in `frozen_at` while the clock is running.
const RUNNING: i64 = i64::MIN;

/// The earliest time the clock may show: 1970-01-01T00:00:00Z.
pub(crate) const EARLIEST_NS: i64 = 0;
/// The latest time the clock may show: 2200-01-01T00:00:00Z. Every lifetime
/// a scenario can set is at most [`crate::terms::Dur::MAX`], so a deadline
/// computed from any time the clock shows stays well inside what the
/// nanosecond counters and the date arithmetic can hold.
pub(crate) const LATEST_NS: i64 = 7_258_118_400 * 1_000_000_000;

/// A clock change refused because the time would leave the supported range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the sandbox clock runs from 1970-01-01T00:00:00Z to 2200-01-01T00:00:00Z; that change would leave it")]
pub struct ClockRangeError;

/// Whether the clock may show `at`.
pub(crate) fn in_range(at: DateTime<Utc>) -> bool {
    nanos(at).is_ok()
}

fn check_range(ns: i64) -> Result<i64, ClockRangeError> {
    if (EARLIEST_NS..=LATEST_NS).contains(&ns) {
        Ok(ns)
    } else {
        Err(ClockRangeError)
    }
}

fn nanos(at: DateTime<Utc>) -> Result<i64, ClockRangeError> {
    at.timestamp_nanos_opt()
        .ok_or(ClockRangeError)
        .and_then(check_range)
}

fn system_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// A cheap-to-clone handle on a sandbox clock.
///
/// Reads are lock-free (two atomics), because every request reads the clock.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Offset from system time in nanoseconds, used while running.
    offset_ns: AtomicI64,
    /// The frozen instant in nanoseconds since the epoch, or [`RUNNING`].
    frozen_at_ns: AtomicI64,
    /// Bumped on every change so sleepers re-check their deadline.
    changed: watch::Sender<u64>,
}

/// A snapshot of the clock, as the control API reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockState {
    /// The sandbox's current time.
    pub now: DateTime<Utc>,
    /// Whether time stands still until moved.
    pub frozen: bool,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    /// A running clock that agrees with the system clock.
    pub fn new() -> Self {
        let (changed, _) = watch::channel(0);
        Self {
            inner: Arc::new(Inner {
                offset_ns: AtomicI64::new(0),
                frozen_at_ns: AtomicI64::new(RUNNING),
                changed,
            }),
        }
    }

    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        let frozen = self.inner.frozen_at_ns.load(Ordering::Acquire);
        if frozen != RUNNING {
            return DateTime::from_timestamp_nanos(frozen);
        }
        let offset = self.inner.offset_ns.load(Ordering::Acquire);
        // Added as plain nanoseconds and turned into a date once: every
        // request reads the clock, and chrono's date arithmetic showed. The
        // clamp only matters while the system clock itself runs past 2200.
        let ns = system_ns()
            .saturating_add(offset)
            .clamp(EARLIEST_NS, LATEST_NS);
        DateTime::from_timestamp_nanos(ns)
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.inner.frozen_at_ns.load(Ordering::Acquire) != RUNNING
    }

    /// The current time and mode together.
    pub fn state(&self) -> ClockState {
        ClockState {
            now: self.now(),
            frozen: self.is_frozen(),
        }
    }

    /// Moves the clock forward (or back, for a negative delta), stopping at
    /// the ends of the supported range (1970 to 2200) rather than wrapping.
    /// [`Clock::try_advance`] refuses instead.
    pub fn advance(&self, by: TimeDelta) {
        let target = self.now().checked_add_signed(by);
        let ns = match target.map(nanos) {
            Some(Ok(ns)) => ns,
            _ if by < TimeDelta::zero() => EARLIEST_NS,
            _ => LATEST_NS,
        };
        self.store(ns);
    }

    /// Moves the clock by `by`, or refuses if that would leave the supported
    /// range; the clock is then untouched.
    pub fn try_advance(&self, by: TimeDelta) -> Result<(), ClockRangeError> {
        let target = self.now().checked_add_signed(by).ok_or(ClockRangeError)?;
        self.store(nanos(target)?);
        Ok(())
    }

    /// Jumps the clock to `at`, keeping its mode; a time outside the
    /// supported range is taken as its nearest end. [`Clock::try_set`]
    /// refuses instead.
    pub fn set(&self, at: DateTime<Utc>) {
        let ns = nanos(at).unwrap_or(if at.timestamp() < 0 {
            EARLIEST_NS
        } else {
            LATEST_NS
        });
        self.store(ns);
    }

    /// Jumps the clock to `at`, or refuses a time outside the supported range.
    pub fn try_set(&self, at: DateTime<Utc>) -> Result<(), ClockRangeError> {
        self.store(nanos(at)?);
        Ok(())
    }

    /// Makes the clock show `target` (nanoseconds since the epoch, already
    /// in range), keeping its mode.
    fn store(&self, target: i64) {
        if self.is_frozen() {
            self.inner.frozen_at_ns.store(target, Ordering::Release);
        } else {
            self.inner
                .offset_ns
                .store(target.saturating_sub(system_ns()), Ordering::Release);
        }
        self.notify();
    }

    /// Freezes the clock at the current sandbox time, or lets it run on from
    /// where it stands.
    pub fn set_frozen(&self, frozen: bool) {
        if frozen == self.is_frozen() {
            return;
        }
        let now = self.now();
        if frozen {
            let ns = now.timestamp_nanos_opt().unwrap_or(0);
            self.inner.frozen_at_ns.store(ns, Ordering::Release);
        } else {
            self.inner.frozen_at_ns.store(RUNNING, Ordering::Release);
            self.set(now);
        }
        self.notify();
    }

    /// Back to a running clock that agrees with the system clock.
    pub fn reset(&self) {
        self.inner.frozen_at_ns.store(RUNNING, Ordering::Release);
        self.inner.offset_ns.store(0, Ordering::Release);
        self.notify();
    }

    /// Waits until the sandbox time reaches `deadline`: in real time while the
    /// clock runs, and at once when the clock is moved past it.
    pub async fn sleep_until(&self, deadline: DateTime<Utc>) {
        let mut changes = self.inner.changed.subscribe();
        loop {
            let now = self.now();
            if now >= deadline {
                return;
            }
            let real_wait = if self.is_frozen() {
                None
            } else {
                (deadline - now).to_std().ok()
            };
            tokio::select! {
                _ = changes.changed() => {}
                _ = sleep_or_forever(real_wait) => {}
            }
        }
    }

    /// Waits for `duration` of sandbox time.
    pub async fn sleep(&self, duration: Duration) {
        let by = TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX);
        let deadline = self
            .now()
            .checked_add_signed(by)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.sleep_until(deadline).await;
    }

    /// A receiver that changes whenever the clock is moved by hand.
    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    fn notify(&self) {
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_told() {
        let clock = Clock::new();
        clock.set_frozen(true);
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(TimeDelta::seconds(90));
        assert_eq!(clock.now(), t0 + TimeDelta::seconds(90));
    }

    #[test]
    fn set_keeps_the_mode() {
        let clock = Clock::new();
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        clock.set(at);
        assert!(!clock.is_frozen());
        assert!((clock.now() - at).num_seconds().abs() < 5);
        clock.set_frozen(true);
        clock.set(at);
        assert_eq!(clock.now(), at);
    }

    #[test]
    fn unfreezing_runs_on_from_the_frozen_instant() {
        let clock = Clock::new();
        let at = DateTime::parse_from_rfc3339("2030-06-01T12:00:00Z")
            .unwrap()
            .to_utc();
        clock.set_frozen(true);
        clock.set(at);
        clock.set_frozen(false);
        assert!((clock.now() - at).num_seconds().abs() < 5);
        clock.reset();
        assert!((clock.now() - Utc::now()).num_seconds().abs() < 5);
    }

    #[test]
    fn the_clock_stays_between_1970_and_2200() {
        let clock = Clock::new();
        clock.set_frozen(true);
        let late = DateTime::parse_from_rfc3339("2199-12-31T23:00:00Z")
            .unwrap()
            .to_utc();
        clock.try_set(late).unwrap();
        // Past the end: refused whole, and the clock has not moved.
        assert_eq!(clock.try_advance(TimeDelta::hours(2)), Err(ClockRangeError));
        assert_eq!(clock.now(), late);
        let far = DateTime::parse_from_rfc3339("2263-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(clock.try_set(far), Err(ClockRangeError));
        assert_eq!(
            clock.try_set(DateTime::<Utc>::MIN_UTC),
            Err(ClockRangeError)
        );
        assert_eq!(clock.now(), late);
        // The plain forms stop at the ends instead of wrapping backwards.
        clock.advance(TimeDelta::MAX);
        assert_eq!(clock.now(), DateTime::from_timestamp_nanos(LATEST_NS));
        clock.advance(TimeDelta::days(-365 * 300));
        assert_eq!(clock.now(), DateTime::from_timestamp_nanos(EARLIEST_NS));
        clock.set(far);
        assert_eq!(clock.now(), DateTime::from_timestamp_nanos(LATEST_NS));
        // The same for a running clock.
        let running = Clock::new();
        assert_eq!(
            running.try_advance(TimeDelta::days(365 * 300)),
            Err(ClockRangeError)
        );
        assert!((running.now() - Utc::now()).num_seconds().abs() < 5);
    }

    #[tokio::test]
    async fn sleep_until_wakes_when_the_clock_is_advanced() {
        let clock = Clock::new();
        clock.set_frozen(true);
        let deadline = clock.now() + TimeDelta::minutes(5);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(deadline).await }
        });
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(TimeDelta::minutes(5));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("sleeper woke")
            .unwrap();
    }
}
