//! Sending NotifyInitiateAction to the program manager, as Thredd does: one
//! POST with a Bearer token, over HTTP or HTTPS, a 200 expected within the
//! answer timeout (5 s), never resent. The attempt gives up when the answer
//! timeout passes (real time or sandbox time, whichever comes first), so a PM
//! that never answers holds up nothing else; the session then goes on as
//! `settings.thredd.on_missed_answer` says.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::store::{Ctx, Delivery, Missed};
use super::THREDD_CLIENT;
use crate::outbound::{Failure, Target};
use crate::providers::Provider;
use crate::providers::World;

/// The outbound call's operation id, for scenario rules.
pub(crate) const OPERATION: &str = "thredd.notify_initiate_action.send";

pub(crate) async fn deliver(
    world: Arc<World>,
    id: String,
    url: Option<String>,
    body: Value,
    timeout: Duration,
) {
    let delivery = attempt(&*world, &id, url.as_deref(), &body, timeout).await;
    let kind = if delivery.state == "delivered" {
        "thredd.notify_initiate_action.sent"
    } else {
        "thredd.notify_initiate_action.failed"
    };
    world.emit(
        Provider::Thredd,
        kind,
        id.clone(),
        world.now(),
        json!({ "state": delivery.state, "status": delivery.status, "error": delivery.error }),
    );
    let missed = delivery.state != "delivered" && delivery.state != "not_configured";
    world.stores().thredd.record_delivery(&id, delivery);
    if missed {
        let outcome = world.stores().thredd.missed_answer(Ctx::of(&*world), &id);
        if let Some((kind, data)) = outcome.event() {
            world.emit(Provider::Thredd, kind, id.clone(), world.now(), data);
        }
        if let Missed::FellBack(sms) = outcome {
            super::delegated::hand_over(&*world, &id, sms);
        }
    }
}

fn failed(state: &'static str, error: impl Into<String>) -> Delivery {
    Delivery {
        state,
        error: Some(error.into()),
        ..Delivery::default()
    }
}

async fn attempt(
    world: &World,
    id: &str,
    url: Option<&str>,
    body: &Value,
    timeout: Duration,
) -> Delivery {
    let Some(url) = url else {
        return failed(
            "not_configured",
            "No notify_initiate_action_url in the scenario or the request",
        );
    };
    let deadline = world
        .stores()
        .thredd
        .deadline(id)
        .unwrap_or_else(|| world.now());
    let payload = body.to_string();
    if let Some(call) = world.scripted_call(OPERATION, url, payload.as_bytes()) {
        if let Some(delay) = call.delay {
            world.clock().sleep(delay).await;
        }
        if call.dropped {
            return failed(
                "dropped_by_scenario",
                format!("scenario rule {} dropped the call", call.label),
            );
        }
        if let Some(status) = call.status {
            return Delivery {
                state: if status == 200 { "delivered" } else { "failed" },
                status: Some(status),
                latency_ms: Some(0.0),
                error: (status != 200)
                    .then(|| format!("scenario rule {} answered {status}", call.label)),
                sent_at: Some(world.now()),
                ..Delivery::default()
            };
        }
    }
    let Some(target) = Target::parse(url) else {
        return failed(
            "failed",
            "notify_initiate_action_url must be an http:// or https:// URL",
        );
    };
    let settings = &world.settings().thredd;
    let trusted = settings.trusted();
    let minted = world.stores().thredd.mint(
        Ctx::of(world),
        THREDD_CLIENT,
        vec!["client_validate", "firbiometricapi"],
    );
    let Ok((token, _)) = minted else {
        return failed(
            "failed",
            "the token store is full (settings.limits.live_objects); no token to send",
        );
    };
    let sent_at = world.now();
    let started = Instant::now();
    let limit = world.settings().limits.outbound_answer.get();
    let bearer = format!("Bearer {token}");
    let headers = [("authorization", bearer.as_str())];
    let send = crate::outbound::post_json(&target, &headers, payload, &trusted, limit);
    // The PM's 200 is due within the answer timeout, and never after the
    // session's own end.
    let answer_within = settings.notify_answer_timeout;
    let due = deadline.min(sent_at + answer_within.as_delta());
    let late = || {
        Err(Failure::Other(format!(
            "no 200 within {answer_within}; Thredd does not resend"
        )))
    };
    let result = tokio::select! {
        result = send => result.map(|answer| answer.status),
        _ = tokio::time::sleep(timeout.min(answer_within.0)) => late(),
        _ = world.clock().sleep_until(due) => late(),
    };
    let latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    match result {
        Ok(200) => Delivery {
            state: "delivered",
            status: Some(200),
            latency_ms,
            sent_at: Some(sent_at),
            ..Delivery::default()
        },
        Ok(status) => Delivery {
            state: "failed",
            status: Some(status),
            latency_ms,
            error: Some(format!("the PM answered {status}, not 200")),
            sent_at: Some(sent_at),
            url: None,
        },
        Err(error) => Delivery {
            state: match error {
                Failure::Untrusted(_) => "untrusted_certificate",
                Failure::Other(_) => "failed",
            },
            latency_ms,
            error: Some(error.to_string()),
            sent_at: Some(sent_at),
            ..Delivery::default()
        },
    }
}
