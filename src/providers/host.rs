//! The world as a provider sees it: [`Host`], which the sandbox's world
//! implements above this module. A provider reads the time, draws ids,
//! reaches its own store and sections, and sends SMS and timeline steps
//! through it, and names nothing of the world's own type, so the world can
//! hold the providers' stores without the providers depending on it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Provider, Settings, Stores, Users};
use crate::clock::Clock;
use crate::ids::IdGen;
use crate::outbox::{Sms, SmsDraft};

/// What a provider's handlers, control routes, sweep and pages use of the
/// world they run in.
pub(crate) trait Host: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
    fn clock(&self) -> &Clock;
    /// The world's seeded generator.
    fn ids(&self) -> &IdGen;
    /// The tenant's path prefix, for links handed out.
    fn base_path(&self) -> &str;
    /// Every provider's store; a provider reads its own field.
    fn stores(&self) -> &Stores;
    /// The scenario's `settings`, one block per provider.
    fn settings(&self) -> &Settings;
    /// The scenario's simulated users, one block per provider.
    fn users(&self) -> &Users;
    /// The process's memory budget, which every store draws on.
    fn budget(&self) -> &std::sync::Arc<crate::limits::Budget>;
    /// Whether the scenario is the embedded demo world, whose credentials a
    /// page may show.
    fn embedded(&self) -> bool;

    /// Adds a step to the timeline.
    fn emit(
        &self,
        provider: Provider,
        kind: &'static str,
        subject: String,
        at: DateTime<Utc>,
        data: Value,
    );
    /// Sends a message as the scenario's users receive them (at once, late or
    /// never); the message when it arrived at once.
    fn send_sms(&self, draft: SmsDraft) -> Option<Sms>;
    /// The world as a spawned task holds it (`None` once it was replaced).
    fn shared(&self) -> Option<std::sync::Arc<dyn Host>>;
    /// What the scenario's rules script for a call the sandbox makes itself,
    /// as `operation`, to `url` with `body`.
    fn scripted_call(&self, operation: &str, url: &str, body: &[u8]) -> Option<ScriptedCall>;
    /// Records where the client broke one of `provider`'s rules, on the
    /// request `request` (its journal `seq`) of `operation`.
    fn deviate(
        &self,
        provider: Provider,
        rule: &'static crate::report::Rule,
        request: Option<(u64, &'static str)>,
        message: String,
    );
    /// The world's webhook deliveries and the built-in receiver's inbox.
    fn webhooks(&self) -> &crate::providers::webhooks::Webhooks;
    /// Renders one of the pages' templates (the providers' among them).
    fn render(&self, template: &str, data: &Value) -> Result<String, String>;
}

/// The world as the providers name it.
pub(crate) type World = dyn Host;

/// A rule's effect on a call the sandbox makes: wait, then drop the call or
/// take a canned answer instead of sending it.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedCall {
    /// How the journal names the rule.
    pub(crate) label: std::sync::Arc<str>,
    pub(crate) delay: Option<std::time::Duration>,
    /// The call never reaches its target (a drop, reset or hang).
    pub(crate) dropped: bool,
    /// The answer the rule gives instead.
    pub(crate) status: Option<u16>,
    /// What the rule does to a webhook beyond dropping it.
    pub(crate) fault: Option<CallFault>,
}

/// A scenario fault only a webhook can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallFault {
    /// Send it twice, with the same call reference.
    Duplicate,
    /// Hold it until the next one to the same receiver has gone.
    OutOfOrder,
    /// Spoil its signature headers.
    CorruptSignature,
    /// The attempt goes to an endpoint that refuses connections.
    DeadEndpoint,
}

impl CallFault {
    /// How a scenario file writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::OutOfOrder => "out_of_order",
            Self::CorruptSignature => "corrupt_signature",
            Self::DeadEndpoint => "dead_endpoint",
        }
    }
}
