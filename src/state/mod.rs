//! Shared in-memory state.
//!
//! A [`Tenant`] owns a clock and a current [`World`]. The world is everything a
//! scenario produces (fixtures, provider stores, outbox, timeline, journal, rule
//! counters) and is immutable as a whole: a reset or a scenario load builds a new
//! one and swaps it in. Requests in flight finish against the world they started
//! in, so a reset can never leave half-cleared state behind.
//!
//! Inside a world each provider keeps its own store behind its own
//! `parking_lot` lock; no lock is held across an `.await`.

use std::sync::Arc;
use std::time::Duration;

mod host;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::clock::Clock;
use crate::idempotency::Idempotency;
use crate::ids::IdGen;
use crate::journal::Journal;
use crate::limits::Budget;
use crate::outbox::{Event, Feed, Sms, SmsDraft, FEED_CAPACITY};
use crate::providers::{self, Stores};
use crate::scenario::{RuleSet, Scenario};

/// One isolated sandbox: its clock and its current world.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub(crate) clock: Clock,
    /// `""` for the default tenant, `/t/<name>` for a named one: the path
    /// prefix of links the sandbox hands out (Intergiro's consent page).
    pub(crate) base_path: Arc<str>,
    /// The library name of the active scenario, if it came from the library:
    /// `--watch` gives tenants running a changed file a fresh world.
    origin: Mutex<Option<String>>,
    world: ArcSwap<World>,
    /// The process's memory budget, which each of its worlds draws on.
    budget: Arc<Budget>,
}

impl Tenant {
    /// A tenant; `name` is `None` for the default one.
    pub(crate) fn new(
        name: Option<&str>,
        scenario: Arc<Scenario>,
        origin: Option<String>,
        budget: Arc<Budget>,
    ) -> Self {
        let clock = Clock::new();
        let base_path: Arc<str> = name.map_or_else(String::new, |n| format!("/t/{n}")).into();
        let world = World::new(scenario, clock.clone(), base_path.clone(), budget.clone());
        Self {
            clock,
            base_path,
            origin: Mutex::new(origin),
            world: ArcSwap::new(world),
            budget,
        }
    }

    /// The current world, as an owned handle.
    pub(crate) fn world(&self) -> Arc<World> {
        self.world.load_full()
    }

    /// The current world for one request: cheaper than [`Tenant::world`]
    /// because it touches no shared reference count in the common case.
    pub(crate) fn world_guard(&self) -> arc_swap::Guard<Arc<World>> {
        self.world.load()
    }

    /// Drops all state, puts the clock back to system time, and rebuilds the
    /// world from the active scenario.
    pub(crate) fn reset(&self) {
        self.clock.reset();
        let scenario = self.world.load().scenario.clone();
        self.world.store(World::new(
            scenario,
            self.clock.clone(),
            self.base_path.clone(),
            self.budget.clone(),
        ));
    }

    /// Makes `scenario` the active one, with a fresh world; `origin` is its
    /// library name.
    pub(crate) fn activate(&self, scenario: Arc<Scenario>, origin: Option<String>) {
        *self.origin.lock() = origin;
        self.clock.reset();
        self.world.store(World::new(
            scenario,
            self.clock.clone(),
            self.base_path.clone(),
            self.budget.clone(),
        ));
    }

    /// The library name of the active scenario.
    pub(crate) fn origin(&self) -> Option<String> {
        self.origin.lock().clone()
    }

    /// The sweeper of a named tenant: it ends once the tenant is dropped.
    pub(crate) async fn run_sweeper_while_alive(tenant: std::sync::Weak<Self>) {
        loop {
            let Some(this) = tenant.upgrade() else { return };
            this.world().sweep();
            let mut clock_moves = this.clock.changes();
            drop(this);
            tokio::select! {
                _ = clock_moves.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Settles whatever has come due: expiries, simulated users' decisions,
    /// purges of finished objects. Runs until `stop` resolves.
    pub(crate) async fn run_sweeper(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut clock_moves = self.clock.changes();
        loop {
            self.world().sweep();
            tokio::select! {
                _ = clock_moves.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// What an SMS or a timeline event counts against the memory budget.
const FEED_ENTRY_COST: usize = 512;

/// Everything one scenario run holds.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) scenario: Arc<Scenario>,
    /// The tenant's path prefix, for links handed out.
    pub(crate) base_path: Arc<str>,
    pub(crate) rules: RuleSet,
    pub(crate) ids: IdGen,
    pub(crate) clock: Clock,
    pub(crate) outbox: Feed<Sms>,
    /// Messages the scenario delays, with when they arrive.
    late_sms: Mutex<Vec<(DateTime<Utc>, SmsDraft)>>,
    pub(crate) events: Feed<Event>,
    pub(crate) journal: Journal,
    pub(crate) idempotency: Idempotency,
    /// Every provider's state, one field per provider.
    pub(crate) stores: Stores,
    /// Webhooks sent, their attempts, and the built-in receiver's inbox.
    pub(crate) webhooks: crate::providers::webhooks::Webhooks,
    /// Where the client broke the providers' rules.
    pub(crate) deviations: crate::report::Deviations,
    budget: Arc<Budget>,
    /// The world itself, for work a request starts and a task finishes
    /// (a notification sent out, its answer on the timeline).
    me: std::sync::Weak<World>,
}

impl World {
    pub(crate) fn new(
        scenario: Arc<Scenario>,
        clock: Clock,
        base_path: Arc<str>,
        budget: Arc<Budget>,
    ) -> Arc<Self> {
        let ids = IdGen::new(scenario.seed);
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            base_path,
            rules: RuleSet::compile(&scenario.rules, scenario.seed),
            stores: Stores::new(&scenario.sections(), &ids),
            ids,
            outbox: Feed::budgeted(FEED_CAPACITY, &budget, FEED_ENTRY_COST),
            late_sms: Mutex::new(Vec::new()),
            events: Feed::budgeted(FEED_CAPACITY, &budget, FEED_ENTRY_COST),
            journal: Journal::new(&budget),
            idempotency: Idempotency::default(),
            webhooks: crate::providers::webhooks::Webhooks::new(&budget),
            deviations: crate::report::Deviations::default(),
            clock,
            scenario,
            budget,
        })
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Delivers held messages whose time has come, oldest first.
    fn release_late_sms(&self) {
        let now = self.now();
        let due: Vec<SmsDraft> = {
            let mut late = self.late_sms.lock();
            if late.is_empty() {
                return;
            }
            // Stable, so messages due at the same instant keep their order.
            late.sort_by_key(|(at, _)| *at);
            let ready = late.partition_point(|(at, _)| *at <= now);
            late.drain(..ready).map(|(_, d)| d).collect()
        };
        for draft in due {
            self.deliver_sms(draft);
        }
    }

    /// Puts a message in the outbox and records `sms.sent` on the timeline.
    fn deliver_sms(&self, draft: SmsDraft) -> Sms {
        let now = self.now();
        let sms = self.outbox.push_cloned(|seq| Sms {
            seq,
            id: format!("sms_{seq}"),
            provider: draft.provider,
            to: draft.to,
            text: draft.text,
            code: draft.code,
            purpose: draft.purpose,
            reference: draft.reference,
            sent_at: now,
        });
        self.events.push(|seq| Event {
            seq,
            kind: "sms.sent",
            provider: sms.provider,
            subject: sms.id.clone(),
            at: now,
            data: serde_json::json!({ "to": sms.to, "purpose": sms.purpose, "reference": sms.reference }),
        });
        sms
    }

    /// The integration report: the deviations, and the rules whose
    /// operations the client called (read from the journal, not counted per
    /// request).
    pub(crate) fn report(&self) -> crate::report::Report {
        let journal = self.journal.read(&crate::journal::JournalQuery {
            provider: None,
            operation: None,
            limit: None,
        });
        let called: std::collections::BTreeSet<&str> =
            journal.iter().filter_map(|e| e.operation).collect();
        let rules: Vec<_> = providers::all_rules().collect();
        let exercised = rules
            .iter()
            .filter(|r| r.operations.iter().any(|op| called.contains(op)))
            .map(|r| r.id)
            .collect();
        self.deviations
            .report(&rules, &exercised, &self.scenario.settings.report)
    }

    /// Settles every store at the current sandbox time.
    pub(crate) fn sweep(&self) {
        self.release_late_sms();
        self.idempotency.sweep(self.now());
        providers::sweep(self);
        crate::providers::webhooks::start_due(self);
    }
}
