//! One attempt at a delivery, and what follows it.
//!
//! Each attempt first asks the scenario's rules about the event's operation
//! (`weavr.webhook.stepup`, …). A rule's `delay` puts the attempt off on the
//! sandbox clock; `respond` stands for the receiver's answer; `fault` drops
//! the delivery (`drop`), sends it twice (`duplicate`), holds it until the
//! next event to the same receiver has gone (`out_of_order`), spoils its
//! signature (`corrupt_signature`) or aims the attempt at an endpoint that
//! refuses connections (`dead_endpoint`). The rule counts attempts, so
//! `times: 2` of `dead_endpoint` fails the first two and lets the third
//! through.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::TimeDelta;
use serde_json::{json, Value};

use super::store::{Arrival, Attempt, State, ANSWER_KEPT};
use super::{Endpoint, Hook, Outcome, Verdict};
use crate::outbound::Failure;
use crate::providers::{CallFault as Fault, Host, ScriptedCall, World};
use crate::terms::Dur;

/// How long an `out_of_order` fault holds a delivery when no later event
/// to the same receiver comes (sandbox time).
const HOLD_AT_MOST: TimeDelta = TimeDelta::seconds(60);

/// Queues an event and starts its first attempt.
pub(crate) fn send(world: &World, hook: Hook) {
    let id = world.webhooks().open(hook, world.now());
    spawn(world, id);
}

/// Starts the attempts whose time has come (the world's sweep calls it).
pub(crate) fn start_due(world: &World) {
    for id in world.webhooks().take_due(world.now()) {
        spawn(world, id);
    }
}

/// One more attempt by hand, now. `false` for an unknown delivery or one
/// whose attempt is on its way.
pub(crate) fn redeliver(world: &World, id: &str) -> bool {
    if world.webhooks().reopen(id).is_none() {
        return false;
    }
    spawn(world, id.to_owned());
    true
}

fn spawn(world: &World, id: String) {
    let (Some(world), Ok(runtime)) = (world.shared(), tokio::runtime::Handle::try_current()) else {
        return;
    };
    runtime.spawn(async move { attempt(world, id).await });
}

async fn attempt(world: Arc<dyn Host>, id: String) {
    let hooks = world.webhooks();
    let Some((hook, carried, n)) = hooks.claim(&id) else {
        return;
    };
    let now = world.now();
    let call =
        carried.or_else(|| world.scripted_call(hook.operation, &hook.url, hook.body.as_bytes()));
    if let Some(call) = &call {
        if let Some(delay) = call.delay.filter(|d| !d.is_zero()) {
            let at = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX);
            let rest = ScriptedCall {
                delay: None,
                ..call.clone()
            };
            hooks.defer(&id, at, State::Pending, rest);
            return;
        }
        if call.fault == Some(Fault::OutOfOrder) {
            let rest = ScriptedCall {
                fault: None,
                ..call.clone()
            };
            hooks.defer(&id, now + HOLD_AT_MOST, State::Held, rest);
            event(
                &*world,
                &id,
                &hook,
                "webhook.held",
                json!({ "rule": &*call.label }),
            );
            return;
        }
    }
    let rule = call.as_ref().map(|c| format!("{} ({})", c.label, what(c)));
    if call.as_ref().is_some_and(|c| c.dropped) {
        let attempt = Attempt {
            attempt: n,
            at: now,
            status: None,
            latency_ms: 0.0,
            error: Some("dropped by the scenario: never sent".to_owned()),
            answer: None,
            rule,
        };
        hooks.finish(&id, attempt, State::Dropped, None);
        let outcome = Outcome {
            state: State::Dropped,
            status: None,
            error: Some("dropped by the scenario".to_owned()),
            latency_ms: 0.0,
            sent_at: now,
            untrusted: false,
        };
        report(&*world, &hook, &outcome);
        event(
            &*world,
            &id,
            &hook,
            "webhook.dropped",
            json!({ "attempt": n }),
        );
        return;
    }
    let started = Instant::now();
    let result = match &call {
        Some(ScriptedCall {
            status: Some(status),
            ..
        }) => Ok((*status, None)),
        Some(c) if c.fault == Some(Fault::DeadEndpoint) => Err((
            "connection refused: the scenario sent this attempt to a dead endpoint".to_owned(),
            false,
        )),
        _ => {
            let fault = call.as_ref().and_then(|c| c.fault);
            let mut headers = signed(&hook, fault == Some(Fault::CorruptSignature));
            if let Some(name) = hook.policy.attempt_header {
                headers.push((name, n.to_string()));
            }
            let copies = if fault == Some(Fault::Duplicate) {
                2
            } else {
                1
            };
            let mut last = Err((String::new(), false));
            for _ in 0..copies {
                last = once(&*world, &id, &hook, &headers).await;
            }
            last
        }
    };
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let done = world.now();
    let (status, error, answer, untrusted) = match result {
        Ok((status, answer)) => (Some(status), None, answer, false),
        Err((error, untrusted)) => (None, Some(error), None, untrusted),
    };
    let verdict = status.map_or(hook.policy.unanswered, hook.policy.verdict);
    let accepted = verdict == Verdict::Delivered;
    let error = error.or_else(|| {
        status.filter(|_| !accepted).map(|s| match verdict {
            Verdict::Gone => format!("the receiver answered {s}: its subscription is cancelled"),
            Verdict::Rejected => format!("the receiver answered {s}: rejected, never retried"),
            _ => format!("the receiver answered {s}"),
        })
    });
    let retry_at = (verdict == Verdict::Retry)
        .then(|| hook.policy.backoff.get(n as usize - 1))
        .flatten()
        .map(|wait| done + TimeDelta::from_std(*wait).unwrap_or(TimeDelta::MAX));
    if verdict == Verdict::Gone {
        if let (Some(cancel), Some(subscription)) = (hook.extras.on_gone, &hook.extras.subscription)
        {
            cancel(&*world, subscription);
        }
    }
    let state = if accepted {
        State::Delivered
    } else {
        State::Failed
    };
    let attempt = Attempt {
        attempt: n,
        at: now,
        status,
        latency_ms,
        error: error.clone(),
        answer,
        rule,
    };
    hooks.finish(&id, attempt, state, retry_at);
    if retry_at.is_none() {
        let outcome = Outcome {
            state,
            status,
            error: error.clone(),
            latency_ms,
            sent_at: now,
            untrusted,
        };
        report(&*world, &hook, &outcome);
    }
    let kind = match (accepted, retry_at) {
        (true, _) => "webhook.delivered",
        (false, Some(_)) => "webhook.retrying",
        (false, None) => "webhook.failed",
    };
    event(
        &*world,
        &id,
        &hook,
        kind,
        json!({ "attempt": n, "status": status, "error": error, "retry_at": retry_at }),
    );
    for held in hooks.release_held(&hook.url, done) {
        spawn(&*world, held);
    }
}

/// Tells the provider how its delivery ended, where it wants to know.
fn report(world: &World, hook: &Hook, outcome: &Outcome) {
    if let Some(on_done) = hook.extras.on_done {
        on_done(world, hook, outcome);
    }
}

/// What a rule did to an attempt, for the delivery's record.
fn what(call: &ScriptedCall) -> String {
    match (call.status, call.fault) {
        (Some(status), _) => format!("answered {status}"),
        (None, Some(fault)) => fault.name().to_owned(),
        (None, None) if call.dropped => "drop".to_owned(),
        (None, None) => "delay".to_owned(),
    }
}

/// The hook's headers, with the signatures spoilt when asked.
fn signed(hook: &Hook, corrupt: bool) -> Vec<(&'static str, String)> {
    let mut headers = hook.headers.clone();
    if corrupt {
        for (name, value) in &mut headers {
            if hook.signatures.contains(name) {
                // One character changed, past a prefix such as `sha256=` or
                // `Bearer `, to another that hex and base64 both have: the
                // value keeps its form and length, so a receiver that checks
                // only the form is caught too.
                let at = value
                    .find("sha256=")
                    .map(|i| i + "sha256=".len())
                    .or_else(|| value.starts_with("Bearer ").then_some("Bearer ".len()))
                    .unwrap_or(0);
                if let Some(c) = value[at..].chars().next() {
                    let other = if c == 'a' { "b" } else { "a" };
                    value.replace_range(at..at + c.len_utf8(), other);
                }
            }
        }
    }
    headers
}

/// Sends once: the status and the start of the answer, or why none came.
async fn once(
    world: &World,
    id: &str,
    hook: &Hook,
    headers: &[(&'static str, String)],
) -> Result<(u16, Option<String>), (String, bool)> {
    match Endpoint::parse(&hook.url) {
        Some(Endpoint::Inbox(name)) => {
            let lookup = |wanted: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                    .map(|(_, v)| v.clone())
            };
            // A provider that signs nothing leaves nothing to check.
            let verified = (!hook.signatures.is_empty())
                .then(|| (hook.verify)(&hook.secret, &lookup, &hook.body));
            let arrival = |seq| Arrival {
                seq,
                id: format!("wh_{seq}"),
                inbox: name.clone(),
                provider: hook.provider.name(),
                event: hook.event.to_owned(),
                delivery: Some(id.to_owned()),
                headers: headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect::<BTreeMap<_, _>>(),
                body: serde_json::from_str(&hook.body).unwrap_or(Value::Null),
                verified,
                received_at: world.now(),
            };
            world.webhooks().inbox.push(arrival);
            Ok((hook.policy.expects, None))
        }
        Some(Endpoint::Http(target)) => {
            let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let extras = &hook.extras;
            let post = crate::outbound::post_json(
                &target,
                &pairs,
                hook.body.clone(),
                &extras.trusted,
                ANSWER_KEPT,
            );
            let timeout = extras.timeout.unwrap_or(hook.policy.timeout);
            let due = extras
                .answer_by
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
            let late = || Err((format!("no answer within {}", Dur(timeout)), false));
            tokio::select! {
                answer = post => match answer {
                    Ok(answer) => Ok((
                        answer.status,
                        (!answer.body.is_empty())
                            .then(|| String::from_utf8_lossy(&answer.body).into_owned()),
                    )),
                    Err(failure) => Err((
                        failure.to_string(),
                        matches!(failure, Failure::Untrusted(_)),
                    )),
                },
                _ = tokio::time::sleep(timeout) => late(),
                _ = world.clock().sleep_until(due) => late(),
            }
        }
        None => Err((
            "the webhook URL is neither http(s):// nor inbox:<name>".to_owned(),
            false,
        )),
    }
}

/// Puts a delivery's step on the timeline, under its provider.
fn event(world: &World, id: &str, hook: &Hook, kind: &'static str, mut data: Value) {
    if let Value::Object(map) = &mut data {
        map.insert("delivery".into(), Value::String(id.to_owned()));
        map.insert("event".into(), Value::String(hook.event.to_owned()));
        map.insert("url".into(), Value::String(hook.url.clone()));
    }
    world.emit(hook.provider, kind, hook.subject.clone(), world.now(), data);
}
