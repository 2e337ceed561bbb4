//! Intergiro's webhooks, as its onboarding guide gives them: a thin event,
//! `{id, name, created_at}`, POSTed to the partner, whose details the partner
//! reads with `GET /v3/events/{id}` (`{id, name, payload, created_at}`). The
//! guide names three for the flows the sandbox serves:
//! `IndividualOnboardingDataProvided`, `IndividualActivated` and
//! `IndividualBlocked`, each with `payload.individual_id`. It documents no
//! signature (the authenticated read of the event is what a partner trusts)
//! and no retry policy: the sandbox retries a failed delivery after 1 min,
//! 5 min, 30 min and 2 h of sandbox time.

use std::time::Duration;

use hyper::StatusCode;
use indexmap::IndexMap;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};

use super::error::{self, IntergiroError};
use crate::http::{self, Response};
use crate::providers::webhooks::{any_2xx, Extras, Hook, Policy, Verdict, LADDER};
use crate::providers::{Provider, World};

/// The events, by the timeline's name, as Intergiro names them, and their
/// operation ids for scenario rules.
const EVENTS: &[(&str, &str, &str)] = &[
    (
        "individual.onboarding_data_provided",
        "IndividualOnboardingDataProvided",
        "intergiro.webhook.individual_onboarding_data_provided",
    ),
    (
        "individual.activated",
        "IndividualActivated",
        "intergiro.webhook.individual_activated",
    ),
    (
        "individual.blocked",
        "IndividualBlocked",
        "intergiro.webhook.individual_blocked",
    ),
];

/// The event names a scenario's receiver may choose among.
pub(crate) const NAMES: &[&str] = &[
    "IndividualOnboardingDataProvided",
    "IndividualActivated",
    "IndividualBlocked",
];

/// The operation ids of the events.
pub(crate) const OPERATIONS: &[&str] = &[
    "intergiro.webhook.individual_onboarding_data_provided",
    "intergiro.webhook.individual_activated",
    "intergiro.webhook.individual_blocked",
];

/// How many events a tenant keeps for `GET /v3/events/{id}`.
const KEEP: usize = 10_000;

static POLICY: Policy = Policy {
    backoff: LADDER.split_at(4).0,
    verdict: any_2xx,
    unanswered: Verdict::Retry,
    timeout: Duration::from_secs(10),
    attempt_header: None,
    expects: 200,
};

/// An event, as `GET /v3/events/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Event {
    id: String,
    name: &'static str,
    payload: Value,
    created_at: String,
}

/// The events sent, newest last, the oldest forgotten past [`KEEP`].
#[derive(Debug, Default)]
pub(crate) struct Events(Mutex<IndexMap<String, Event>>);

impl Events {
    fn keep(&self, event: Event) {
        let mut all = self.0.lock();
        if all.len() >= KEEP {
            all.shift_remove_index(0);
        }
        all.insert(event.id.clone(), event);
    }
}

/// `GET /v3/events/{id}`.
pub(crate) fn get(world: &World, id: &str) -> Result<Response, IntergiroError> {
    let events = world.stores().intergiro.events.0.lock();
    let event = events
        .get(id)
        .ok_or_else(|| error::not_found("No such event"))?;
    Ok(http::json(StatusCode::OK, event))
}

/// Sends the webhook of a timeline step, if the step is one and the
/// scenario names a receiver that wants it.
pub(crate) fn notify(world: &World, kind: &str, individual: &str) {
    let Some(&(_, name, operation)) = EVENTS.iter().find(|(k, _, _)| *k == kind) else {
        return;
    };
    let Some(receiver) = world
        .settings()
        .intergiro
        .webhooks
        .as_ref()
        .filter(|r| r.wants(name))
    else {
        return;
    };
    let event = Event {
        id: world.ids().uuid().to_string(),
        name,
        payload: json!({ "individual_id": individual }),
        created_at: crate::timefmt::millis(&world.now()),
    };
    let body = json!({ "id": event.id, "name": name, "created_at": event.created_at });
    world.stores().intergiro.events.keep(event);
    let hook = Hook {
        provider: Provider::Intergiro,
        event: name,
        operation,
        url: receiver.url_for(""),
        headers: Vec::new(),
        signatures: &[],
        body: body.to_string(),
        secret: String::new(),
        verify: |_, _, _| true,
        policy: &POLICY,
        subject: individual.to_owned(),
        extras: Extras::default(),
    };
    crate::providers::webhooks::send(world, hook);
}
