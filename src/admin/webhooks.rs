//! The control API's webhooks: the deliveries the providers made, a
//! redelivery by hand, and the built-in receiver's inbox.

use std::time::Duration;

use hyper::StatusCode;
use serde_json::Value;

use super::Cx;
use crate::control::{ControlError, Reply};
use crate::http::{self, DecodeError, Request, Response};
use crate::outbox::Since;
use crate::providers::webhooks::{inbox_name, Arrival};
use crate::providers::Host;

/// The most deliveries one list gives.
const MAX_LIMIT: usize = 1_000;

/// `GET /__admin/webhooks`: newest first, filtered by provider, event and
/// state.
pub(super) fn list(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let provider = req.query_param("provider");
    let event = req.query_param("event");
    let state = req.query_param("state");
    const STATES: &[&str] = &[
        "pending",
        "held",
        "retrying",
        "delivered",
        "failed",
        "dropped",
    ];
    if state.as_deref().is_some_and(|s| !STATES.contains(&s)) {
        return Err(ControlError::bad_query(
            "state",
            "state is pending, held, retrying, delivered, failed or dropped",
        ));
    }
    let limit = match req.query_param("limit") {
        None => 100,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ControlError::bad_query("limit", "limit is a whole number from 1 to 1000")
            })?,
    };
    let world = cx.tenant.world();
    let list = world.webhooks().list(
        |d| {
            provider
                .as_deref()
                .is_none_or(|p| d.hook.provider.name() == p)
                && event.as_deref().is_none_or(|e| d.hook.event == e)
                && state.as_deref().is_none_or(|s| {
                    serde_json::to_value(d.state).is_ok_and(|v| v.as_str() == Some(s))
                })
        },
        limit,
    );
    Ok(http::json(StatusCode::OK, &list))
}

/// `GET /__admin/webhooks/{id}`.
pub(super) fn get(cx: &Cx<'_>, id: &str) -> Reply<Response> {
    let world = cx.tenant.world();
    let delivery = world
        .webhooks()
        .get(id)
        .ok_or_else(|| ControlError::not_found(&format!("No webhook delivery {id}")))?;
    Ok(http::json(StatusCode::OK, &delivery))
}

/// `POST /__admin/webhooks/{id}/redeliver`: one more attempt, now.
pub(super) fn redeliver(cx: &Cx<'_>, id: &str) -> Reply<Response> {
    let world = cx.tenant.world();
    if world.webhooks().get(id).is_none() {
        return Err(ControlError::not_found(&format!(
            "No webhook delivery {id}"
        )));
    }
    if !crate::providers::webhooks::redeliver(&*world, id) {
        return Err(ControlError::new(
            StatusCode::CONFLICT,
            "attempt_running",
            "An attempt of this delivery is on its way; redeliver once it ends",
        ));
    }
    let delivery = world.webhooks().get(id).unwrap_or(Value::Null);
    Ok(http::json(StatusCode::ACCEPTED, &delivery))
}

fn check_name(name: &str) -> Reply<()> {
    if inbox_name(name) {
        Ok(())
    } else {
        Err(ControlError::not_found(
            "An inbox is named with letters, digits, `-` and `_`, at most 64",
        ))
    }
}

/// `GET /__admin/webhook-inbox/{name}`: what arrived, oldest first;
/// `wait` long-polls for the first arrival after `since`.
pub(super) async fn inbox(
    cx: &Cx<'_>,
    name: &str,
    since: Since,
    wait: Option<Duration>,
    stop: impl std::future::Future<Output = ()>,
) -> Reply<Response> {
    check_name(name)?;
    let world = cx.tenant.world();
    let mine = |a: &Arrival| a.inbox == name;
    let arrivals = match wait {
        Some(wait) => {
            let _held = cx.sandbox.track();
            world.webhooks().inbox.wait(since, wait, mine, stop).await
        }
        None => world.webhooks().inbox.list(since, mine),
    };
    Ok(http::json(StatusCode::OK, &arrivals))
}

/// `POST /__admin/webhook-inbox/{name}`: the receiver over HTTP, for a
/// provider pointed at the sandbox by URL. A JSON body; 204. A signature
/// the sandbox knows (Weavr's) is checked.
pub(super) fn receive(req: &Request, cx: &Cx<'_>, name: &str, event: String) -> Reply<Response> {
    check_name(name)?;
    let body: Value = req.json().map_err(ControlError::bad_body)?;
    if !body.is_object() {
        return Err(ControlError::bad_body(DecodeError::new(
            None,
            "a webhook's body is a JSON object",
        )));
    }
    let world = cx.tenant.world();
    let text = String::from_utf8_lossy(&req.body);
    let header = |n: &str| req.header(n).map(str::to_owned);
    let (provider, verified) = crate::providers::check_webhook(&*world, &header, &text);
    let headers = req
        .headers
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "authorization" | "cookie" | "x-sandbox-admin-token"
            )
        })
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    world.webhooks().inbox.push(|seq| Arrival {
        seq,
        id: format!("wh_{seq}"),
        inbox: name.to_owned(),
        provider,
        event,
        delivery: None,
        headers,
        body,
        verified,
        received_at: world.now(),
    });
    Ok(http::empty(StatusCode::NO_CONTENT))
}
