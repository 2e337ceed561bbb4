//! A provider request, step by step: body, route, scenario rules,
//! idempotency, the operation itself (a panic becomes a 500), the journal.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use hyper::body::Incoming;
use hyper::header::ALLOW;

use super::body::BodyError;
use super::{closing, App, Outcome};
use crate::http::{self, Request, Response};
use crate::idempotency::{Begin, Key, Ticket};
use crate::journal::JournalEntry;
use crate::providers::{CommonError, Operation, ProviderApi, RouteMatch, RouteTable};
use crate::scenario::probe::Probe;
use crate::scenario::{Env, Fault};
use crate::state::{Tenant, World};

impl App {
    /// `prefix` is the length of the tenant and provider prefixes in the path.
    pub(super) async fn provider<P: ProviderApi>(
        &self,
        req: hyper::Request<Incoming>,
        prefix: usize,
        tenant: &Tenant,
    ) -> Outcome {
        let world = tenant.world_guard();
        let outcome = self.provider_outcome::<P>(req, prefix, &world).await;
        match outcome {
            Outcome::Respond(mut res) => {
                P::decorate(&mut res, &**world);
                Outcome::Respond(res)
            }
            Outcome::Slow(mut res, slow, clock) => {
                P::decorate(&mut res, &**world);
                Outcome::Slow(res, slow, clock)
            }
            other => other,
        }
    }

    async fn provider_outcome<P: ProviderApi>(
        &self,
        req: hyper::Request<Incoming>,
        prefix: usize,
        world: &Arc<World>,
    ) -> Outcome {
        let started = Instant::now();
        let method = req.method().clone();
        let limit = self.sandbox.body_limit();
        let mut request = match self.buffer(req, prefix).await {
            Ok(request) => request,
            Err(BodyError::TooLarge) => {
                return Outcome::Respond(P::common_error(CommonError::PayloadTooLarge { limit }))
            }
            Err(BodyError::TooSlow) => {
                let message = self.too_slow();
                return Outcome::Respond(closing(P::common_error(CommonError::RequestTimeout(
                    message,
                ))));
            }
            Err(BodyError::Gone) => return Outcome::Drop,
        };
        let segments = request.segments();
        let route = match P::Route::parse(&method, &segments) {
            RouteMatch::Found(route) => route,
            RouteMatch::NotFound => {
                let res = P::common_error(CommonError::NotFound);
                record::<P>(world, request, None, res.status().as_u16(), started, None);
                return Outcome::Respond(res);
            }
            RouteMatch::MethodNotAllowed(allow) => {
                let mut res = P::common_error(CommonError::MethodNotAllowed { allow });
                res.headers_mut()
                    .insert(ALLOW, hyper::header::HeaderValue::from_static(allow));
                record::<P>(world, request, None, res.status().as_u16(), started, None);
                return Outcome::Respond(res);
            }
        };
        let operation = route.operation();
        // Its journal entry's number now, so what the operation finds for
        // the report links to it.
        request.id = (world.journal.reserve(), operation);

        // The idempotency key is taken before any scripted delay, so a repeat
        // sent while the first request waits sees it in progress.
        let ticket = match idempotency_key::<P>(&request, operation) {
            None => None,
            Some(key) => {
                let cap = crate::limits::Cap {
                    live: world.scenario.settings.limits.live_objects,
                    budget: crate::providers::Host::budget(&**world),
                };
                let res = match world.idempotency.begin(&world.clock, cap, key) {
                    Begin::Fresh(ticket) => Ok(ticket),
                    Begin::InProgress => Err(P::idempotency_in_progress()),
                    Begin::Replay(res) => Err(res),
                    Begin::Full(full) => Err(P::common_error(CommonError::TooMany(full))),
                };
                match res {
                    Ok(ticket) => Some(ticket),
                    Err(res) => {
                        let status = res.status().as_u16();
                        record::<P>(world, request, Some(operation), status, started, None);
                        return Outcome::Respond(res);
                    }
                }
            }
        };

        let probe = Probe::new(
            method.as_str(),
            &request.path,
            Some(&request.headers),
            request.query.as_deref(),
            &request.body,
        );
        let applied = world.rules.apply(operation, &probe);
        let effect = applied.as_ref().map(|a| a.effect);
        let rule = effect.map(|e| e.label.clone());
        // Only requests a rule holds back are counted in flight: the others
        // are over in microseconds, and counting them costs every request.
        let in_flight = effect.map(|_| self.sandbox.track());
        if let Some(delay) = applied.as_ref().and_then(|a| a.delay) {
            // A shutdown cuts the delay short so the request can still finish.
            let mut stopping = self.stopping.clone();
            let clock = &world.clock;
            tokio::select! {
                _ = clock.sleep(delay) => {}
                _ = stopping.wait_for(|stop| *stop) => {}
            }
        }
        let fault = effect.and_then(|e| e.fault);
        let ending = match fault {
            Some(Fault::Drop) => Some(Outcome::Drop),
            Some(Fault::Reset) => Some(Outcome::Reset),
            Some(Fault::Hang) => Some(Outcome::Hang(in_flight)),
            _ => None,
        };
        if let Some(ending) = ending {
            drop(probe);
            record::<P>(world, request, Some(operation), 0, started, rule);
            return ending;
        }
        let mut response = match effect.and_then(|e| e.respond.as_ref()) {
            Some(canned) => {
                let env = Env {
                    ids: &world.ids,
                    now: world.now(),
                };
                canned
                    .render(
                        &probe,
                        env,
                        world.scenario.settings.limits.rendered_answer.get(),
                    )
                    .unwrap_or_else(|limit| P::common_error(CommonError::AnswerTooLarge { limit }))
            }
            None => run::<P>(route, &request, world, operation),
        };
        drop(probe);
        if let Some(ticket) = ticket {
            response = remember(ticket, response).await;
        }
        record::<P>(
            world,
            request,
            Some(operation),
            response.status().as_u16(),
            started,
            rule,
        );
        match fault {
            Some(Fault::SlowBody(slow)) => Outcome::Slow(response, slow, world.clock.clone()),
            _ => Outcome::Respond(response),
        }
    }
}

/// The key of a POST that carries the provider's idempotency header, scoped to
/// the caller's credentials.
fn idempotency_key<P: ProviderApi>(request: &Request, operation: &'static str) -> Option<Key> {
    let header = P::IDEMPOTENCY_HEADER?;
    if request.method != hyper::Method::POST {
        return None;
    }
    let reference = request.header(header)?;
    let caller = request
        .header("authorization")
        .or_else(|| request.header("api-key"))
        .unwrap_or_default();
    Some(Key::new(operation, caller, reference, &request.body))
}

/// Keeps a copy of the answer for replays of its idempotency key.
async fn remember(ticket: Ticket, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = http::body_bytes(body).await;
    ticket.finish(parts.status, bytes.clone());
    Response::from_parts(parts, http::Body::new(bytes))
}

/// Runs a handler; a panic becomes a 500 in the provider's envelope instead of
/// a dropped connection. Stores use `parking_lot` locks, which do not poison,
/// and mutate only after validating, so a panicking handler leaves no
/// half-made change behind.
fn run<P: ProviderApi>(
    route: P::Route,
    request: &Request,
    world: &World,
    operation: &str,
) -> Response {
    match std::panic::catch_unwind(AssertUnwindSafe(|| {
        P::handle(route, request, world).unwrap_or_else(|e| P::render(e, world))
    })) {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(operation, "handler panicked");
            P::common_error(CommonError::Internal(format!(
                "The sandbox failed while handling {operation}; this is a bug in the sandbox"
            )))
        }
    }
}

fn record<P: ProviderApi>(
    world: &World,
    request: Request,
    operation: Option<&'static str>,
    status: u16,
    started: Instant,
    rule: Option<std::sync::Arc<str>>,
) {
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    // One line a request, at the default level: what a newcomer watches to
    // see their client reach the sandbox. The path only: a query string
    // may carry a secret (Shine's poll takes `client_secret`).
    tracing::info!(
        tenant = world.base_path.strip_prefix("/t/").unwrap_or("default"),
        method = %request.method,
        path = %request.path,
        operation,
        status,
        rule = rule.as_deref(),
        duration_ms,
        "{}",
        P::PROVIDER.name()
    );
    world.journal.record(request.id.0, |seq| JournalEntry {
        seq,
        at: world.now(),
        method: request.method,
        path: request.path,
        provider: P::PROVIDER,
        operation,
        status,
        duration_ms,
        rule,
    });
}
