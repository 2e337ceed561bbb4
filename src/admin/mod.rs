//! The control API under `/__admin`: health, reset, the clock, the journal, the
//! SMS outbox, the event timeline, scenarios, and the end user's buttons.
//!
//! JSON in and out; errors are `{"error": {"code", "message", ...}}`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::header::{HeaderValue, ALLOW};
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::control::{error, ControlError, Reply};
use crate::http::{self, DecodeError, Request, Response};
use crate::journal::JournalQuery;
use crate::outbox::Since;
use crate::providers::Provider;
use crate::sandbox::Sandbox;
use crate::scenario::Dur;
use std::sync::Arc;

use crate::outbox::SmsDraft;
use crate::providers::Host;
use crate::state::Tenant;
use crate::timefmt;

/// The longest a long-poll may wait.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// What a control API call acts on: the sandbox, and the tenant the request
/// named (the default one unless `X-Sandbox-Tenant` or `/t/<name>/` says).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub(crate) sandbox: &'a Sandbox,
    pub(crate) tenant: &'a Arc<Tenant>,
    /// Turns `true` when the server shuts down: long-polls answer then.
    pub(crate) stopping: &'a watch::Receiver<bool>,
    /// The request came over HTTPS: links to the sandbox say `https`.
    pub(crate) tls: bool,
}

/// Answers a control API request.
pub(crate) async fn handle(
    req: &Request,
    sandbox: &Sandbox,
    tenant: &Arc<Tenant>,
    stopping: &watch::Receiver<bool>,
    tls: bool,
) -> Response {
    let cx = &Cx {
        sandbox,
        tenant,
        stopping,
        tls,
    };
    let segments = req.segments();
    let route = match Route::parse(&req.method, &segments[1..]) {
        Ok(route) => route,
        Err(Some(allow)) => {
            let mut res = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                &format!("This endpoint accepts {allow}"),
            );
            res.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
            return res;
        }
        Err(None) => {
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("No control endpoint at {}", req.path),
            )
        }
    };
    tracing::debug!(operation = route.operation(), "control request");
    let result = match route {
        Route::OpenApi => Ok(openapi::serve(cx.tls, req.header("host"))),
        Route::Health => Ok(http::json(
            StatusCode::OK,
            &json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
        )),
        Route::Stats => Ok(stats(cx)),
        Route::Reset => {
            // The default tenant's reset drops every named tenant and every
            // upload too; a named tenant's reset gives it a fresh world and
            // forgets its uploads.
            if cx.tenant.base_path.is_empty() {
                sandbox.reset();
            } else {
                cx.tenant.reset();
                sandbox.library().forget(&cx.tenant.base_path);
            }
            Ok(http::json(StatusCode::OK, &json!({ "status": "reset" })))
        }
        Route::SetTenantScenario { name } => scenarios::set_for_tenant(req, cx, &name),
        Route::GetClock => Ok(clock_state(cx)),
        Route::CaCertificate => certificates::ca(cx),
        Route::ScenarioSchema => Ok(http::json(StatusCode::OK, &crate::scenario_schema())),
        Route::ClientCertificate => certificates::client(req, cx),
        Route::Hosts => Ok(http::json(
            StatusCode::OK,
            &crate::providers::host_map(&cx.tenant.world().scenario.settings.hosts),
        )),
        Route::SetClock => set_clock(req, cx),
        Route::Journal => journal(req, cx),
        Route::ListSms => list_sms(req, cx).await,
        Route::SendSms => send_sms(req, cx),
        Route::Events => events(req, cx).await,
        Route::GetScenario => Ok(scenarios::info(cx)),
        Route::LoadScenario => scenarios::load(req, cx),
        Route::ActivateScenario { name } => scenarios::activate(cx, &name),
        Route::Report => report::get(req, cx),
        Route::Webhooks => webhooks::list(req, cx),
        Route::Webhook { id } => webhooks::get(cx, &id),
        Route::Redeliver { id } => webhooks::redeliver(cx, &id),
        Route::Inbox { name } => match feed_params(req) {
            Ok((since, wait)) => webhooks::inbox(cx, &name, since, wait, stop(cx)).await,
            Err(e) => Err(e),
        },
        Route::InboxReceive { name, event } => webhooks::receive(req, cx, &name, event),
        Route::Provider(route) => route.handle(req, cx.tenant.world()),
    };
    result.unwrap_or_else(ControlError::into_response)
}

pub(crate) mod auth;
mod certificates;
pub(crate) mod openapi;
mod report;
mod routes;
mod scenarios;
mod webhooks;

pub(crate) use self::routes::Route;

/// What `/` answers until the dashboard exists: where everything is.
pub(crate) fn index() -> Response {
    let providers: Vec<Value> = Provider::ALL
        .iter()
        .map(|p| json!({ "name": p.name(), "base_path": format!("/{}", p.name()) }))
        .collect();
    http::json(
        StatusCode::OK,
        &json!({
            "name": "sca-sandbox",
            "version": env!("CARGO_PKG_VERSION"),
            "providers": providers,
            "control": "/__admin",
        }),
    )
}

/// Live objects per store: what a soak test checks stays flat.
fn stats(cx: &Cx<'_>) -> Response {
    let world = cx.tenant.world();
    let mut stats = crate::providers::stats(&*world);
    stats.insert("in_flight".to_owned(), json!(cx.sandbox.in_flight()));
    stats.insert("tenants".to_owned(), json!(cx.sandbox.tenant_count()));
    stats.insert("sms".to_owned(), json!(world.outbox.len()));
    stats.insert("events".to_owned(), json!(world.events.len()));
    stats.insert("webhooks".to_owned(), json!(world.webhooks.len()));
    stats.insert(
        "webhook_inbox".to_owned(),
        json!(world.webhooks.inbox.len()),
    );
    let budget = cx.sandbox.budget();
    stats.insert(
        "memory_budget".to_owned(),
        json!({ "limit": budget.limit(), "used": budget.used() }),
    );
    http::json(StatusCode::OK, &stats)
}

fn clock_state(cx: &Cx<'_>) -> Response {
    let state = cx.tenant.clock.clone().state();
    http::json(
        StatusCode::OK,
        &json!({ "now": timefmt::millis(&state.now), "frozen": state.frozen }),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    #[serde(default)]
    frozen: Option<bool>,
    #[serde(default)]
    set: Option<DateTime<Utc>>,
    #[serde(default)]
    advance: Option<Dur>,
}

/// Applies `frozen`, then `set`, then `advance`, so one call can freeze the
/// clock at an instant.
fn set_clock(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let change: ClockChange = req.json().map_err(ControlError::bad_body)?;
    let clock = cx.tenant.clock.clone();
    // Checked whole before anything moves: a refused call changes nothing.
    let base = change.set.unwrap_or_else(|| clock.now());
    let target = change
        .advance
        .map_or(Some(base), |by| base.checked_add_signed(by.as_delta()));
    let out_of_range = |field: &str| {
        let message = crate::clock::ClockRangeError.to_string();
        ControlError::new(StatusCode::BAD_REQUEST, "clock_out_of_range", &message).on_field(field)
    };
    if change.set.is_some_and(|at| !crate::clock::in_range(at)) {
        return Err(out_of_range("set"));
    }
    if !target.is_some_and(crate::clock::in_range) {
        return Err(out_of_range("advance"));
    }
    if let Some(frozen) = change.frozen {
        clock.set_frozen(frozen);
    }
    if let Some(at) = change.set {
        clock.try_set(at).map_err(|_| out_of_range("set"))?;
    }
    if let Some(by) = change.advance {
        clock
            .try_advance(by.as_delta())
            .map_err(|_| out_of_range("advance"))?;
    }
    // Settle what came due before answering, so that a test which advances
    // the clock sees expiries, simulated users and late SMS at once.
    cx.tenant.world().sweep();
    Ok(clock_state(cx))
}

fn journal(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let provider = req.query_param("provider");
    let operation = req.query_param("operation");
    let limit = match req.query_param("limit") {
        None => None,
        Some(l) => Some(
            l.parse()
                .map_err(|_| ControlError::bad_query("limit", "limit is a whole number"))?,
        ),
    };
    let entries = cx.tenant.world().journal.read(&JournalQuery {
        provider: provider.as_deref(),
        operation: operation.as_deref(),
        limit,
    });
    Ok(http::json(StatusCode::OK, &entries))
}

/// `since` and `wait`, shared by the outbox and the timeline.
fn feed_params(req: &Request) -> Reply<(Since, Option<Duration>)> {
    let since = match req.query_param("since") {
        None => Since::Start,
        Some(raw) => Since::parse(&raw).ok_or_else(|| {
            ControlError::bad_query(
                "since",
                "since is a sequence number or an RFC 3339 timestamp",
            )
        })?,
    };
    let wait = match req.query_param("wait") {
        None => None,
        Some(raw) => Some(
            Dur::parse(&raw)
                .map_err(|e| ControlError::bad_query("wait", &e))?
                .0
                .min(MAX_WAIT),
        ),
    };
    Ok((since, wait))
}

/// Resolves when the server starts to shut down, so a long-poll answers at
/// once instead of holding the drain for its whole wait.
fn stop(cx: &Cx<'_>) -> impl std::future::Future<Output = ()> + 'static {
    let mut stopping = cx.stopping.clone();
    async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    }
}

async fn list_sms(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let (since, wait) = feed_params(req)?;
    let to = req.query_param("to");
    let provider = req.query_param("provider");
    let filter = |sms: &crate::outbox::Sms| {
        to.as_deref().is_none_or(|t| sms.to == t)
            && provider.as_deref().is_none_or(|p| sms.provider == p)
    };
    let world = cx.tenant.world();
    let messages = match wait {
        Some(wait) => {
            let _held = cx.sandbox.track();
            world.outbox.wait(since, wait, filter, stop(cx)).await
        }
        None => world.outbox.list(since, filter),
    };
    Ok(http::json(StatusCode::OK, &messages))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSms {
    to: String,
    text: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    reference: Option<String>,
}

/// Puts a message in the outbox by hand: a provider-neutral way to exercise it.
fn send_sms(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let new: NewSms = req.json().map_err(ControlError::bad_body)?;
    // Blank is ASCII white space only, as the description's pattern says;
    // any other text is a label the inbox shows (escaped).
    if new
        .to
        .chars()
        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
    {
        return Err(ControlError::bad_body(DecodeError::new(
            Some("to".to_owned()),
            "a phone number is required",
        )));
    }
    let sms = cx.tenant.world().send_sms(SmsDraft {
        provider: "sandbox",
        to: new.to,
        text: new.text,
        code: new.code,
        purpose: new.purpose.unwrap_or_else(|| "manual".to_owned()),
        reference: new.reference,
    });
    Ok(match sms {
        Some(sms) => http::json(StatusCode::CREATED, &sms),
        // The scenario's `users.sms` holds it back or loses it; the timeline says which.
        None => http::json(StatusCode::ACCEPTED, &json!({ "delivered": false })),
    })
}

async fn events(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let (since, wait) = feed_params(req)?;
    let kind = req.query_param("type");
    let provider = req.query_param("provider");
    let subject = req.query_param("subject");
    let filter = |e: &crate::outbox::Event| {
        kind.as_deref().is_none_or(|k| e.kind == k)
            && provider.as_deref().is_none_or(|p| e.provider == p)
            && subject.as_deref().is_none_or(|s| e.subject == s)
    };
    let world = cx.tenant.world();
    let events = match wait {
        Some(wait) => {
            let _held = cx.sandbox.track();
            world.events.wait(since, wait, filter, stop(cx)).await
        }
        None => world.events.list(since, filter),
    };
    Ok(http::json(StatusCode::OK, &events))
}
