//! Sending NotifyInitiateAction to the program manager, as Thredd does: one
//! POST with a Bearer token, over HTTP or HTTPS, a 200 expected within the
//! answer timeout (5 s), never resent. It goes through the webhook engine,
//! with that as its policy, so it is listed and faulted as every webhook is.
//! The attempt gives up when the answer timeout passes (real time or sandbox
//! time, whichever comes first, and never after the session's own end), so a
//! PM that never answers holds up nothing else; the session then goes on as
//! `settings.thredd.on_missed_answer` says.

use std::time::Duration;

use serde_json::{json, Value};

use super::store::{Ctx, Delivery, Missed};
use super::THREDD_CLIENT;
use crate::providers::webhooks::{Extras, Hook, Outcome, Policy, State, Verdict};
use crate::providers::{Provider, World};

/// The outbound call's operation id, for scenario rules.
pub(crate) const OPERATION: &str = "thredd.notify_initiate_action.send";

/// Thredd's documented rule: a 200, once; anything else is a miss.
static POLICY: Policy = Policy {
    backoff: &[],
    verdict: |status| {
        if status == 200 {
            Verdict::Delivered
        } else {
            Verdict::Rejected
        }
    },
    unanswered: Verdict::Rejected,
    timeout: Duration::from_secs(5),
    attempt_header: None,
    expects: 200,
};

/// Hands NotifyInitiateAction to the engine, or records why it cannot go.
pub(crate) fn deliver(
    world: &World,
    id: String,
    url: Option<String>,
    body: Value,
    timeout: Duration,
) {
    let Some(url) = url else {
        record(
            world,
            &id,
            failed(
                "not_configured",
                "No notify_initiate_action_url in the scenario or the request",
            ),
        );
        return;
    };
    let store = &world.stores().thredd;
    let Ok((token, _)) = store.mint(
        Ctx::of(world),
        THREDD_CLIENT,
        vec!["client_validate", "firbiometricapi"],
    ) else {
        record(
            world,
            &id,
            failed(
                "failed",
                "the token store is full (settings.limits.live_objects); no token to send",
            ),
        );
        return;
    };
    let settings = &world.settings().thredd;
    let answer_within = settings.notify_answer_timeout;
    let deadline = store.deadline(&id).unwrap_or_else(|| world.now());
    let bearer = format!("Bearer {token}");
    let hook = Hook {
        provider: Provider::Thredd,
        event: "NotifyInitiateAction",
        operation: OPERATION,
        url,
        headers: vec![("authorization", bearer)],
        signatures: &["authorization"],
        body: body.to_string(),
        secret: token,
        verify: |token, header, _| {
            header("authorization")
                .is_some_and(|h| crate::secret::eq(&format!("Bearer {token}"), &h))
        },
        policy: &POLICY,
        subject: id,
        extras: Extras {
            on_done: Some(done),
            // The PM's 200 is due within the answer timeout, and never
            // after the session's own end.
            answer_by: Some(deadline.min(world.now() + answer_within.as_delta())),
            timeout: Some(timeout.min(answer_within.0)),
            trusted: settings.trusted(),
            ..Extras::default()
        },
    };
    crate::providers::webhooks::send(world, hook);
}

fn failed(state: &'static str, error: impl Into<String>) -> Delivery {
    Delivery {
        state,
        error: Some(error.into()),
        ..Delivery::default()
    }
}

/// How the delivery ended, as the session's delivery log shows it.
fn done(world: &World, hook: &Hook, outcome: &Outcome) {
    let answer_within = world.settings().thredd.notify_answer_timeout;
    let delivery = Delivery {
        state: match outcome.state {
            State::Delivered => "delivered",
            State::Dropped => "dropped_by_scenario",
            _ if outcome.untrusted => "untrusted_certificate",
            _ => "failed",
        },
        status: outcome.status,
        latency_ms: Some(outcome.latency_ms),
        error: match (outcome.state, outcome.status, &outcome.error) {
            (State::Delivered, _, _) => None,
            (_, Some(status), _) => Some(format!("the PM answered {status}, not 200")),
            (State::Dropped, _, _) => Some("a scenario rule dropped the call".to_owned()),
            (_, None, Some(e)) if e.starts_with("no answer") => Some(format!(
                "no 200 within {answer_within}; Thredd does not resend"
            )),
            (_, None, e) => e.clone(),
        },
        sent_at: Some(outcome.sent_at),
        url: None,
    };
    record(world, &hook.subject, delivery);
}

/// Records the delivery on the session and the timeline; a miss lets the
/// session go on as `on_missed_answer` says.
fn record(world: &World, id: &str, delivery: Delivery) {
    let kind = if delivery.state == "delivered" {
        "thredd.notify_initiate_action.sent"
    } else {
        "thredd.notify_initiate_action.failed"
    };
    world.emit(
        Provider::Thredd,
        kind,
        id.to_owned(),
        world.now(),
        json!({ "state": delivery.state, "status": delivery.status, "error": delivery.error }),
    );
    let missed = delivery.state != "delivered" && delivery.state != "not_configured";
    // A drop is the scenario's doing, not the program manager's.
    if missed && delivery.state != "dropped_by_scenario" {
        super::report::not_answered(world, delivery.error.as_deref().unwrap_or("no 200"));
    }
    let store = &world.stores().thredd;
    store.record_delivery(id, delivery);
    if missed {
        let outcome = store.missed_answer(Ctx::of(world), id);
        if let Some((kind, data)) = outcome.event() {
            world.emit(Provider::Thredd, kind, id.to_owned(), world.now(), data);
        }
        if let Missed::FellBack(sms) = outcome {
            super::delegated::hand_over(world, id, sms);
        }
    }
}
