//! The world as the providers see it: [`Host`] for [`World`], through which
//! a provider reads the time and its store, sends SMS and timeline steps,
//! records deviations for the report, and asks what the scenario scripts
//! for the calls it makes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::World;
use crate::clock::Clock;
use crate::ids::IdGen;
use crate::limits::Budget;
use crate::outbox::{Event, Sms, SmsDraft};
use crate::providers::{CallFault, Host, Provider, ScriptedCall, Settings, Stores, Users};
use crate::scenario::probe::Probe;
use crate::scenario::{Arrival, Fault};

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

    fn deviate(
        &self,
        provider: Provider,
        rule: &'static crate::report::Rule,
        request: Option<(u64, &'static str)>,
        message: String,
    ) {
        self.deviations.record(crate::report::Found {
            rule,
            provider: provider.name(),
            operation: request.map(|r| r.1),
            // `0`: a call the sandbox made itself, with no request of its own.
            request: request.map(|r| r.0).filter(|&seq| seq != 0),
            message,
            at: self.now(),
            tuning: &self.scenario.settings.report,
        });
    }

    fn webhooks(&self) -> &crate::providers::webhooks::Webhooks {
        &self.webhooks
    }

    fn render(&self, template: &str, data: &Value) -> Result<String, String> {
        crate::templates::render(template, data)
    }
}
