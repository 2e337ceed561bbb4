//! Solaris' webhooks, as its reference gives them: a subscription per event
//! type (`POST /v1/webhooks {event_type, url}`), checked with one POST of an
//! empty body and `Solaris-Webhook-Event-Type: WEBHOOK-SUBSCRIPTION` that
//! must answer 2xx, and answered with a `secret` shown only then. Each
//! notification carries `Solaris-Webhook-Id`, `-Subscription-Id`,
//! `-Event-Type`, `Solaris-Entity-Id`, `Solaris-Webhook-Attempt` and
//! `Solaris-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>`. A 2xx
//! is delivered, 410 cancels the subscription, 422 rejects the notification
//! for good, anything else is retried with a growing back-off for up to
//! 5 days; an answer is due within 30 s.
//!
//! The events of the flows the sandbox serves: `PERSON_CHANGED` and
//! `PERSON_MOBILE_NUMBER_DELETED` when their change request is confirmed,
//! `PERSON_MOBILE_NUMBER_CREATED` when a number is added, and `BOOKING` when
//! a SEPA credit transfer's change request is confirmed.

use std::time::Duration;

use serde_json::{json, Value};

use super::model::{ActionAnswer, ChangeRequestView};
use super::store::Store;
use crate::providers::webhooks::{Extras, Hook, Policy, Verdict, LADDER};
use crate::providers::{Provider, World};

/// The events the sandbox sends, and their operation ids for scenario rules.
pub(crate) const EVENTS: &[(&str, &str)] = &[
    ("PERSON_CHANGED", "solaris.webhook.person_changed"),
    (
        "PERSON_MOBILE_NUMBER_CREATED",
        "solaris.webhook.person_mobile_number_created",
    ),
    (
        "PERSON_MOBILE_NUMBER_DELETED",
        "solaris.webhook.person_mobile_number_deleted",
    ),
    ("BOOKING", "solaris.webhook.booking"),
];

/// The operation ids of [`EVENTS`], and of a subscription's check.
pub(crate) const OPERATIONS: &[&str] = &[
    "solaris.webhook.person_changed",
    "solaris.webhook.person_mobile_number_created",
    "solaris.webhook.person_mobile_number_deleted",
    "solaris.webhook.booking",
    CHECK,
];

pub(super) const CHECK: &str = "solaris.webhook.subscription_check";

/// The secret of the scenario's own receiver when it names none.
pub(crate) const DEFAULT_SECRET: &str = "solaris-webhook-secret";

/// The subscription id the scenario's own receiver is named by.
pub(super) const STATIC: &str = "STATIC-SUBSCRIPTION";

fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        410 => Verdict::Gone,
        422 => Verdict::Rejected,
        _ => Verdict::Retry,
    }
}

static POLICY: Policy = Policy {
    // The whole ladder: close to the reference's 5 days.
    backoff: &LADDER,
    verdict,
    unanswered: Verdict::Retry,
    timeout: Duration::from_secs(30),
    attempt_header: Some("solaris-webhook-attempt"),
    expects: 200,
};

/// Sends `event_type` about `entity` to every subscription to it, and to the
/// scenario's receiver if it wants it.
pub(crate) fn notify(world: &World, event_type: &'static str, entity: &str, body: Value) {
    let Some(&(_, operation)) = EVENTS.iter().find(|(e, _)| *e == event_type) else {
        return;
    };
    let payload = body.to_string();
    let mut targets: Vec<(String, String, String)> = world
        .stores()
        .solaris
        .subscriptions
        .for_event(event_type)
        .into_iter()
        .map(|s| (s.id, s.url, s.secret))
        .collect();
    if let Some(receiver) = world
        .settings()
        .solaris
        .webhooks
        .as_ref()
        .filter(|r| r.wants(event_type))
    {
        targets.push((
            STATIC.to_owned(),
            receiver.url_for(""),
            static_secret(world),
        ));
    }
    for (subscription, url, secret) in targets {
        let signature = signature(&secret, &payload);
        let hook = Hook {
            provider: Provider::Solaris,
            event: event_type,
            operation,
            url,
            headers: vec![
                ("solaris-webhook-id", world.ids().uuid().to_string()),
                ("solaris-webhook-subscription-id", subscription.clone()),
                ("solaris-webhook-event-type", event_type.to_owned()),
                ("solaris-entity-id", entity.to_owned()),
                ("solaris-webhook-signature", signature),
            ],
            signatures: &["solaris-webhook-signature"],
            body: payload.clone(),
            secret,
            verify,
            policy: &POLICY,
            subject: entity.to_owned(),
            extras: Extras {
                on_gone: Some(super::subscriptions::cancel),
                subscription: Some(subscription),
                ..Extras::default()
            },
        };
        crate::providers::webhooks::send(world, hook);
    }
}

fn static_secret(world: &World) -> String {
    let receiver = world.settings().solaris.webhooks.as_ref();
    receiver
        .and_then(|r| r.secret.clone())
        .unwrap_or_else(|| DEFAULT_SECRET.to_owned())
}

/// `sha256=` and the hex HMAC-SHA256 of the body.
pub(crate) fn signature(secret: &str, body: &str) -> String {
    let mac = crate::crypto::hmac_sha256_hex(secret.as_bytes(), &[body.as_bytes()]);
    format!("sha256={mac}")
}

fn verify(secret: &str, header: &dyn Fn(&str) -> Option<String>, body: &str) -> bool {
    header("solaris-webhook-signature")
        .is_some_and(|given| crate::secret::eq(&signature(secret, body), &given))
}

/// A call carrying Solaris' signature, checked with its subscription's
/// secret (or the scenario receiver's).
pub(crate) fn check(
    world: &World,
    header: &dyn Fn(&str) -> Option<String>,
    body: &str,
) -> Option<bool> {
    header("solaris-webhook-signature")?;
    let subscription = header("solaris-webhook-subscription-id").unwrap_or_default();
    let secret = if subscription == STATIC {
        Some(static_secret(world))
    } else {
        world
            .stores()
            .solaris
            .subscriptions
            .secret_of(&subscription)
    };
    Some(secret.is_some_and(|secret| verify(&secret, header, body)))
}

/// The `BOOKING` of a SEPA credit transfer made: what left the account.
pub(crate) fn booking(world: &World, person: &str, transfer: &Value) -> (String, Value) {
    let id = format!("{}boo", world.ids().hex(32));
    let date = world.now().format("%Y-%m-%d").to_string();
    let account = transfer["account_id"].as_str().unwrap_or_default();
    let (sender_iban, sender_name) = world
        .stores()
        .solaris
        .sender(person, account)
        .unwrap_or_default();
    let amount = &transfer["amount"];
    let body = json!({
        "id": id,
        "creation_date": date,
        "valuta_date": date,
        "booking_date": date,
        "booking_type": "SEPA_CREDIT_TRANSFER",
        "amount": {
            "value": -amount["value"].as_i64().unwrap_or_default(),
            "unit": amount["unit"].as_str().unwrap_or("cents"),
            "currency": amount["currency"].as_str().unwrap_or("EUR"),
        },
        "description": transfer["description"],
        "end_to_end_id": transfer["end_to_end_id"],
        "recipient_bic": transfer["recipient_bic"],
        "recipient_iban": transfer["recipient_iban"],
        "recipient_name": transfer["recipient_name"],
        "sender_iban": sender_iban,
        "sender_name": sender_name,
    });
    (id, body)
}

/// What a confirmed change request reports: the person changed, the mobile
/// number deleted, or the booking of a SEPA credit transfer.
pub(crate) fn confirmed(world: &World, person: &str, view: &ChangeRequestView) {
    match &view.response_body {
        Some(ActionAnswer::Person(_)) => notify(world, "PERSON_CHANGED", person, json!({})),
        Some(ActionAnswer::MobileNumber(mobile)) => notify(
            world,
            "PERSON_MOBILE_NUMBER_DELETED",
            person,
            json!({ "id": mobile.id }),
        ),
        Some(ActionAnswer::Transfer(transfer)) => {
            let transfer = serde_json::to_value(transfer).unwrap_or(Value::Null);
            let (id, body) = booking(world, person, &transfer);
            notify(world, "BOOKING", &id, body);
        }
        _ => {}
    }
}

impl Store {
    /// The person a change request belongs to.
    pub(crate) fn person_of_change_request(&self, id: &str) -> Option<String> {
        let inner = self.lock();
        inner.change_requests.get(id).map(|r| r.person_id.clone())
    }

    /// The IBAN of a person's account and the person's name, as a booking
    /// names its sender.
    fn sender(&self, person: &str, account: &str) -> Option<(String, String)> {
        let inner = self.lock();
        let person = inner.person(person).ok()?;
        let iban = person.accounts.iter().find(|a| a.0 == account)?.1.clone();
        let name = [person.first_name.as_deref(), person.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Some((iban, name))
    }
}
