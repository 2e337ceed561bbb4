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

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::Value;

use crate::clock::Clock;
use crate::idempotency::Idempotency;
use crate::ids::IdGen;
use crate::journal::Journal;
use crate::limits::Budget;
use crate::outbox::{Event, Feed, Sms, SmsDraft, FEED_CAPACITY};
use crate::providers::{self, CallFault, Host, Provider, ScriptedCall, Settings, Stores, Users};
use crate::scenario::probe::Probe;
use crate::scenario::{Arrival, Fault, RuleSet, Scenario};

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

    /// Settles every store at the current sandbox time.
    pub(crate) fn sweep(&self) {
        self.release_late_sms();
        self.idempotency.sweep(self.now());
        providers::sweep(self);
        crate::providers::webhooks::start_due(self);
    }
}

// The world as the providers see it; see `providers::Host`.
impl Host for World {
    fn shared(&self) -> Option<Arc<dyn Host>> {
        // A world replaced by a reset has nothing left to report into.
        self.me.upgrade().map(|world| world as Arc<dyn Host>)
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn ids(&self) -> &IdGen {
        &self.ids
    }

    fn base_path(&self) -> &str {
        &self.base_path
    }

    fn stores(&self) -> &Stores {
        &self.stores
    }

    fn settings(&self) -> &Settings {
        &self.scenario.settings
    }

    fn users(&self) -> &Users {
        &self.scenario.users
    }

    fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }

    fn embedded(&self) -> bool {
        self.scenario.embedded
    }

    /// Adds a step to the timeline.
    fn emit(
        &self,
        provider: Provider,
        kind: &'static str,
        subject: String,
        at: DateTime<Utc>,
        data: Value,
    ) {
        self.events.push(|seq| Event {
            seq,
            kind,
            provider: provider.name(),
            subject,
            at,
            data,
        });
    }

    /// Sends a message as the scenario's users receive them: into the outbox
    /// at once, later (held until the clock reaches it), or never. Returns
    /// the message when it arrived at once.
    fn send_sms(&self, draft: SmsDraft) -> Option<Sms> {
        let now = self.now();
        match self.scenario.users.sms_for(draft.provider) {
            Some(Arrival::Never) => {
                self.events.push(|seq| Event {
                    seq,
                    kind: "sms.lost",
                    provider: draft.provider,
                    subject: draft.reference.clone().unwrap_or_default(),
                    at: now,
                    data: serde_json::json!({ "to": draft.to, "purpose": draft.purpose }),
                });
                None
            }
            Some(Arrival::After(delay)) if !delay.0.is_zero() => {
                let due = now + delay.as_delta();
                self.events.push(|seq| Event {
                    seq,
                    kind: "sms.delayed",
                    provider: draft.provider,
                    subject: draft.reference.clone().unwrap_or_default(),
                    at: now,
                    data: serde_json::json!({ "to": draft.to, "purpose": draft.purpose, "deliver_at": crate::timefmt::millis(&due) }),
                });
                self.late_sms.lock().push((due, draft));
                None
            }
            _ => Some(self.deliver_sms(draft)),
        }
    }

    fn scripted_call(&self, operation: &str, url: &str, body: &[u8]) -> Option<ScriptedCall> {
        let probe = Probe::new("POST", url, None, None, body);
        let applied = self.rules.apply(operation, &probe)?;
        let effect = applied.effect;
        Some(ScriptedCall {
            label: effect.label.clone(),
            delay: applied.delay,
            dropped: effect
                .fault
                .is_some_and(|f| matches!(f, Fault::Drop | Fault::Reset | Fault::Hang)),
            status: effect.respond.as_ref().map(|r| r.status.as_u16()),
            fault: effect.fault.and_then(|f| match f {
                Fault::Duplicate => Some(CallFault::Duplicate),
                Fault::OutOfOrder => Some(CallFault::OutOfOrder),
                Fault::CorruptSignature => Some(CallFault::CorruptSignature),
                Fault::DeadEndpoint => Some(CallFault::DeadEndpoint),
                Fault::Drop | Fault::Reset | Fault::Hang | Fault::SlowBody(_) => None,
            }),
        })
    }

    fn webhooks(&self) -> &crate::providers::webhooks::Webhooks {
        &self.webhooks
    }

    fn render(&self, template: &str, data: &Value) -> Result<String, String> {
        crate::templates::render(template, data)
    }
}
