//! Top-level dispatch: buffer a request once, pick the control API, a provider
//! or the index, and never fail.
//!
//! For a provider request the pipeline is always the same:
//! 1. read the body under the limit (413 in the provider's envelope);
//! 2. route it (404 / 405 in the provider's envelope);
//! 3. let the scenario's rules delay it, answer it, or misbehave;
//! 4. run the operation, catching any panic as a 500 in the envelope;
//! 5. record it in the journal.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, ALLOW};
use hyper::StatusCode;
use tokio::sync::watch;

use std::borrow::Cow;
use std::sync::Arc;

use crate::admin;
use crate::clock::Clock;
use crate::dashboard;
use crate::http::{self, Request, Response};
use crate::idempotency::{Begin, Idempotency, Key, Ticket};
use crate::journal::JournalEntry;
use crate::providers::{
    with_provider, CommonError, Operation, Provider, ProviderApi, RouteMatch, RouteTable,
};
use crate::sandbox::{InFlight, Sandbox};
use crate::scenario::probe::Probe;
use crate::scenario::{Fault, SlowBody};
use crate::state::{Tenant, World};

/// Named once: looking a header up by a string parses the name each time.
const TENANT_HEADER: HeaderName = HeaderName::from_static("x-sandbox-tenant");

/// A control API or dashboard request refused, by a page or the API: from
/// another site's page, or for want of the admin token.
struct Denied {
    page: bool,
    foreign: Option<admin::auth::Foreign>,
}

fn first_segment(path: &str) -> &str {
    let rest = path.trim_start_matches('/');
    rest.find('/').map_or(rest, |end| &rest[..end])
}

/// How a request ends.
#[derive(Debug)]
pub(crate) enum Outcome {
    Respond(Response),
    /// Close the connection without answering.
    Drop,
    /// Abort the connection with a TCP reset.
    Reset,
    /// Answer, sending the body a chunk at a time on the sandbox clock.
    Slow(Response, SlowBody, Clock),
    /// Never answer; the connection closes when the server stops. The request
    /// still counts as in flight while it hangs.
    Hang(Option<InFlight>),
}

/// What the router needs beyond the request.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) sandbox: Sandbox,
    /// Turns `true` when the server begins to shut down.
    pub(crate) stopping: watch::Receiver<bool>,
}

/// Why the body could not be read.
enum BodyError {
    TooLarge,
    /// The body did not arrive within the time limit (a stalled or trickled
    /// upload); the answer closes the connection.
    TooSlow,
    /// The client went away mid-body; there is no one to answer.
    Gone,
}

/// The largest request head accepted, in bytes.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The size of a request head as it was sent: request line, each header as
/// `name: value` and the line ends. Exact for the usual single space after
/// the colon, which is what every client sends.
fn head_len<B>(req: &hyper::Request<B>) -> usize {
    let line = req.method().as_str().len() + 1 + req.uri().to_string().len() + 11;
    let fields: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    line + fields + 2
}

/// The answer closes the connection: what is left of the request cannot be
/// trusted to be framed.
fn closing(mut res: Response) -> Response {
    res.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    res
}

impl App {
    pub(crate) async fn dispatch(&self, req: hyper::Request<Incoming>) -> Outcome {
        // hyper reads somewhat past its buffer limit before it gives up, so
        // the documented limit is enforced here, on the head it parsed.
        if head_len(&req) > MAX_HEAD_BYTES {
            return Outcome::Respond(closing(crate::control::error(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request_header_fields_too_large",
                &format!("The request head exceeds {MAX_HEAD_BYTES} bytes"),
            )));
        }
        let (tenant, skip) = match self.tenant(&req) {
            Ok(found) => found,
            Err(message) => {
                return Outcome::Respond(crate::control::error(
                    StatusCode::BAD_REQUEST,
                    "invalid_tenant",
                    &message,
                ))
            }
        };
        let remember = match self.guard(&req, skip) {
            Ok(remember) => remember,
            Err(Denied {
                page,
                foreign: Some(why),
            }) => return Outcome::Respond(admin::auth::foreign(&why, page)),
            Err(Denied {
                page,
                foreign: None,
            }) => return Outcome::Respond(admin::auth::denied(page)),
        };
        let outcome = self.route(req, skip, &tenant).await;
        match (outcome, remember) {
            (Outcome::Respond(mut res), Some(token)) => {
                admin::auth::set_cookie(&mut res, token);
                Outcome::Respond(res)
            }
            (outcome, _) => outcome,
        }
    }

    /// The control API and the dashboard answer only their own pages and
    /// scripts, never another site's page (see [`admin::auth::same_site`]);
    /// with an admin token, they need it too. `Ok(Some(token))` when a page
    /// link granted it: the answer sets the cookie. `Err` says whether a page
    /// or the API refused, and why.
    fn guard(&self, req: &hyper::Request<Incoming>, skip: usize) -> Result<Option<&str>, Denied> {
        let first = first_segment(&req.uri().path()[skip..]);
        let page = first.is_empty() || dashboard::PATHS.contains(&first);
        if first != "__admin" && !page {
            return Ok(None);
        }
        admin::auth::same_site(req.method(), req.headers(), self.sandbox.allowed_hosts()).map_err(
            |why| Denied {
                page,
                foreign: Some(why),
            },
        )?;
        let Some(token) = self.sandbox.admin_token() else {
            return Ok(None);
        };
        // The static script holds nothing to protect.
        if first == "dashboard.js" {
            return Ok(None);
        }
        let link = page && req.method() == hyper::Method::GET;
        match admin::auth::check(token, req.headers(), req.uri().query(), link) {
            admin::auth::Access::Granted => Ok(None),
            admin::auth::Access::GrantedByLink => Ok(Some(token)),
            admin::auth::Access::Denied => Err(Denied {
                page,
                foreign: None,
            }),
        }
    }

    async fn route(
        &self,
        req: hyper::Request<Incoming>,
        skip: usize,
        tenant: &Arc<Tenant>,
    ) -> Outcome {
        let path = &req.uri().path()[skip..];
        let first = first_segment(path);
        if first == "__admin" {
            let limit = self.sandbox.body_limit();
            return match self.buffer(req, skip).await {
                Ok(req) => Outcome::Respond(
                    admin::handle(&req, &self.sandbox, tenant, &self.stopping).await,
                ),
                Err(BodyError::TooLarge) => Outcome::Respond(crate::control::error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    &format!("Request body exceeds {limit} bytes"),
                )),
                Err(BodyError::TooSlow) => Outcome::Respond(closing(crate::control::error(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    &self.too_slow(),
                ))),
                Err(BodyError::Gone) => Outcome::Drop,
            };
        }
        if (first.is_empty() && dashboard::wants_page(&req)) || dashboard::PATHS.contains(&first) {
            return match self.buffer(req, skip).await {
                Ok(req) => Outcome::Respond(dashboard::handle(&req, &self.sandbox)),
                Err(BodyError::TooLarge) => {
                    Outcome::Respond(http::empty(StatusCode::PAYLOAD_TOO_LARGE))
                }
                Err(BodyError::TooSlow) => {
                    Outcome::Respond(closing(http::empty(StatusCode::REQUEST_TIMEOUT)))
                }
                Err(BodyError::Gone) => Outcome::Drop,
            };
        }
        match Provider::from_name(first) {
            Some(provider) => {
                // Only slashes can stand before the first segment.
                let slashes = path.len() - path.trim_start_matches('/').len();
                let prefix = skip + slashes + first.len();
                with_provider!(provider, P => self.provider::<P>(req, prefix, tenant).await)
            }
            None if first.is_empty() => {
                Outcome::Respond(match dashboard::Page::parse(req.method(), first) {
                    Ok(_) => admin::index(),
                    Err(allow) => {
                        let mut res = crate::control::error(
                            StatusCode::METHOD_NOT_ALLOWED,
                            "method_not_allowed",
                            &format!("This endpoint accepts {allow}"),
                        );
                        res.headers_mut()
                            .insert(ALLOW, hyper::header::HeaderValue::from_static(allow));
                        res
                    }
                })
            }
            None => Outcome::Respond(crate::control::error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("No provider or page at {path}; providers live under /<provider>/..."),
            )),
        }
    }

    /// The tenant a request names, by a `/t/<name>/` path prefix or the
    /// `X-Sandbox-Tenant` header, and how many path bytes the prefix takes.
    /// The default tenant is borrowed, not cloned: most requests name none,
    /// and a reference count shared by every request costs on the hot path.
    fn tenant(
        &self,
        req: &hyper::Request<Incoming>,
    ) -> Result<(Cow<'_, Arc<Tenant>>, usize), String> {
        let path = req.uri().path();
        if let Some(rest) = path.strip_prefix("/t/") {
            let name = rest.split('/').next().unwrap_or_default();
            return Ok((Cow::Owned(self.sandbox.tenant_named(name)?), 3 + name.len()));
        }
        match req.headers().get(&TENANT_HEADER) {
            None => Ok((Cow::Borrowed(self.sandbox.tenant()), 0)),
            Some(value) => {
                let name = value
                    .to_str()
                    .map_err(|_| "X-Sandbox-Tenant is not text".to_owned())?;
                Ok((Cow::Owned(self.sandbox.tenant_named(name)?), 0))
            }
        }
    }

    /// `prefix` is the length of the tenant and provider prefixes in the path.
    async fn provider<P: ProviderApi>(
        &self,
        req: hyper::Request<Incoming>,
        prefix: usize,
        tenant: &Tenant,
    ) -> Outcome {
        let world = tenant.world_guard();
        let outcome = self.provider_outcome::<P>(req, prefix, &world).await;
        match outcome {
            Outcome::Respond(mut res) => {
                P::decorate(&mut res, &world);
                Outcome::Respond(res)
            }
            Outcome::Slow(mut res, slow, clock) => {
                P::decorate(&mut res, &world);
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
        let request = match self.buffer(req, prefix).await {
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

        // The idempotency key is taken before any scripted delay, so a repeat
        // sent while the first request waits sees it in progress.
        let ticket = match idempotency_key::<P>(&request, operation) {
            None => None,
            Some(key) => {
                let res = match Idempotency::begin(world, key) {
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
            Some(canned) => canned.render(&probe, world),
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
    tracing::debug!(
        provider = P::PROVIDER.name(),
        method = %request.method,
        path = %request.path,
        operation,
        status,
        duration_ms,
        "request"
    );
    world.journal.record(|seq| JournalEntry {
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

impl App {
    /// Reads the whole body, refusing more than the body limit, up front when
    /// the client declares the length and otherwise as the bytes arrive, and
    /// refusing a body that takes longer than the body timeout. The request's
    /// path is what follows the first `prefix` bytes.
    async fn buffer(
        &self,
        req: hyper::Request<Incoming>,
        prefix: usize,
    ) -> Result<Request, BodyError> {
        let limit = self.sandbox.body_limit();
        let (parts, body) = req.into_parts();
        // hyper knows a declared length (it checked `Content-Length`); a body
        // without one is counted by `Limited` as it arrives.
        if hyper::body::Body::size_hint(&body).lower() > limit as u64 {
            return Err(BodyError::TooLarge);
        }
        // Real time, not the sandbox clock: this guards the server's sockets.
        let body = if hyper::body::Body::is_end_stream(&body) {
            Bytes::new()
        } else {
            tokio::time::timeout(self.sandbox.body_timeout(), read_body(body, limit))
                .await
                .map_err(|_| BodyError::TooSlow)??
        };
        Ok(request(parts, prefix, body))
    }

    fn too_slow(&self) -> String {
        let after = crate::scenario::Dur(self.sandbox.body_timeout());
        format!("The request body did not arrive within {after}")
    }
}

fn request(parts: hyper::http::request::Parts, prefix: usize, body: Bytes) -> Request {
    Request {
        method: parts.method,
        path: parts
            .uri
            .path()
            .get(prefix..)
            .unwrap_or_default()
            .to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    }
}

/// The body's bytes. A body that arrives in one frame, as most do, is kept
/// as it came, without a copy or a list of chunks.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    let mut body = Limited::new(body, limit);
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                BodyError::TooLarge
            } else {
                BodyError::Gone
            }
        })?;
        // Trailers carry nothing a handler reads.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match &mut joined {
            Some(joined) => joined.extend_from_slice(&data),
            None if first.is_empty() => first = data,
            None => {
                let mut both = BytesMut::with_capacity(first.len() + data.len());
                both.extend_from_slice(&first);
                both.extend_from_slice(&data);
                joined = Some(both);
            }
        }
    }
    Ok(joined.map_or(first, BytesMut::freeze))
}

#[cfg(test)]
mod tests {
    use super::first_segment;

    #[test]
    fn the_first_segment_skips_leading_slashes() {
        for (path, first) in [
            ("", ""),
            ("/", ""),
            ("///", ""),
            ("/shine", "shine"),
            ("//shine//v2/", "shine"),
            ("/__admin/health", "__admin"),
        ] {
            assert_eq!(first_segment(path), first, "{path}");
        }
    }
}
