//! Webhook subscriptions, as Solaris' reference gives them: one per event
//! type and URL, checked on creation by one empty POST that must answer
//! 2xx, its secret shown only in the creation's answer.

use std::time::Duration;

use indexmap::IndexMap;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::SolarisError;
use super::webhooks::CHECK;
use crate::providers::webhooks::{Endpoint, Extras, Hook, Policy, Verdict};
use crate::providers::{Provider, World};

/// Subscriptions a tenant may hold.
const MAX_SUBSCRIPTIONS: usize = 100;

/// The check of a new subscription: once, and a refusal cancels it.
static CHECK_POLICY: Policy = Policy {
    backoff: &[],
    verdict: |status| {
        if (200..300).contains(&status) {
            Verdict::Delivered
        } else {
            Verdict::Gone
        }
    },
    unanswered: Verdict::Gone,
    timeout: Duration::from_secs(30),
    attempt_header: None,
    expects: 200,
};

/// One subscription: an event type and where it goes.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Subscription {
    pub(crate) id: String,
    pub(crate) event_type: String,
    pub(crate) url: String,
    #[serde(skip)]
    pub(super) secret: String,
}

/// `POST /v1/webhooks`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewSubscription {
    event_type: String,
    url: String,
}

/// The tenant's subscriptions, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions(Mutex<IndexMap<String, Subscription>>);

impl Subscriptions {
    pub(crate) fn list(&self) -> Vec<Subscription> {
        self.0.lock().values().cloned().collect()
    }

    pub(crate) fn get(&self, id: &str) -> Result<Subscription, SolarisError> {
        self.0
            .lock()
            .get(id)
            .cloned()
            .ok_or_else(|| SolarisError::not_found("Webhook", id))
    }

    pub(crate) fn delete(&self, id: &str) -> Result<Subscription, SolarisError> {
        self.0
            .lock()
            .shift_remove(id)
            .ok_or_else(|| SolarisError::not_found("Webhook", id))
    }

    pub(super) fn secret_of(&self, id: &str) -> Option<String> {
        self.0.lock().get(id).map(|s| s.secret.clone())
    }

    pub(super) fn for_event(&self, event_type: &str) -> Vec<Subscription> {
        let all = self.0.lock();
        all.values()
            .filter(|s| s.event_type == event_type)
            .cloned()
            .collect()
    }
}

/// A URL Solaris would post to: HTTPS, or plain HTTP to this machine for
/// local receivers, or the built-in inbox.
fn acceptable(url: &str) -> bool {
    match Endpoint::parse(url) {
        Some(Endpoint::Inbox(_)) => true,
        Some(Endpoint::Http(target)) => {
            target.tls
                || matches!(
                    target.host.to_ascii_lowercase().as_str(),
                    "localhost" | "127.0.0.1" | "[::1]"
                )
        }
        None => false,
    }
}

/// Creates a subscription and sends its check; the subscription with its
/// secret, shown this once.
pub(crate) fn subscribe(world: &World, body: NewSubscription) -> Result<Value, SolarisError> {
    let event_type = body.event_type.trim();
    if event_type.is_empty()
        || !event_type
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'_')
    {
        return Err(SolarisError::validation(
            "event_type",
            "event_type is an event name such as BOOKING",
        ));
    }
    if !acceptable(&body.url) {
        return Err(SolarisError::validation(
            "url",
            "url must be an https:// URL (http:// only to localhost)",
        ));
    }
    let ids = world.ids();
    let subscription = Subscription {
        id: ids.hex(32),
        event_type: event_type.to_owned(),
        url: body.url,
        secret: ids.hex(32),
    };
    {
        let mut all = world.stores().solaris.subscriptions.0.lock();
        if all.len() >= MAX_SUBSCRIPTIONS {
            return Err(SolarisError::conflict(
                "webhook_limit",
                format!("A partner holds at most {MAX_SUBSCRIPTIONS} webhook subscriptions"),
            ));
        }
        all.insert(subscription.id.clone(), subscription.clone());
    }
    let check = Hook {
        provider: Provider::Solaris,
        event: "WEBHOOK-SUBSCRIPTION",
        operation: CHECK,
        url: subscription.url.clone(),
        headers: vec![(
            "solaris-webhook-event-type",
            "WEBHOOK-SUBSCRIPTION".to_owned(),
        )],
        signatures: &[],
        body: String::new(),
        secret: String::new(),
        verify: |_, _, _| true,
        policy: &CHECK_POLICY,
        subject: subscription.id.clone(),
        extras: Extras {
            on_gone: Some(cancel),
            subscription: Some(subscription.id.clone()),
            ..Extras::default()
        },
    };
    crate::providers::webhooks::send(world, check);
    let mut answer = serde_json::to_value(&subscription).unwrap_or(Value::Null);
    answer["secret"] = Value::String(subscription.secret);
    Ok(answer)
}

/// A receiver that answered 410, or a URL that failed its check: the
/// subscription is cancelled.
pub(super) fn cancel(world: &World, id: &str) {
    if world.stores().solaris.subscriptions.delete(id).is_ok() {
        world.emit(
            Provider::Solaris,
            "webhook.subscription_cancelled",
            id.to_owned(),
            world.now(),
            Value::Null,
        );
    }
}
