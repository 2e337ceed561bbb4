//! The seam between the sandbox and a provider: the [`ProviderApi`] trait
//! every provider's marker type implements, its route tables, the failures
//! every provider renders in its own envelope, and the context its store's
//! operations read.

use std::sync::Arc;

use hyper::Method;
use serde_json::Value;

use super::Provider;
use super::SectionsMut;
use super::Users;
use crate::control::Reply;
use crate::http::{Request, Response};
use crate::ids::IdGen;
use crate::providers::World;
use crate::terms::SmsUser;

/// The result of matching a path and method against a provider's routes.
#[derive(Debug)]
pub(crate) enum RouteMatch<R> {
    Found(R),
    NotFound,
    /// The path exists; the value is the `Allow` header.
    MethodNotAllowed(&'static str),
}

impl<R> RouteMatch<R> {
    pub(crate) fn map<S>(self, f: impl FnOnce(R) -> S) -> RouteMatch<S> {
        match self {
            Self::Found(route) => RouteMatch::Found(f(route)),
            Self::NotFound => RouteMatch::NotFound,
            Self::MethodNotAllowed(allow) => RouteMatch::MethodNotAllowed(allow),
        }
    }
}

/// What a store's operation reads from the world: the sandbox time, the
/// seeded generator, the provider's part of the scenario (its settings and
/// simulated users) and the cap on live objects. Each provider names it
/// `Ctx<'a>` for itself.
#[derive(Debug)]
pub(crate) struct Ctx<'a, P: ProviderApi> {
    pub(crate) now: chrono::DateTime<chrono::Utc>,
    pub(crate) ids: &'a IdGen,
    pub(crate) settings: &'a P::Settings,
    pub(crate) users: &'a P::Users,
    /// What the store keeps of each kind at most, and the process's
    /// memory budget.
    pub(crate) cap: crate::limits::Cap<'a>,
}

impl<'a, P: ProviderApi> Ctx<'a, P> {
    /// The world's context at its current time.
    pub(crate) fn of(world: &'a World) -> Self {
        Self {
            now: world.now(),
            ids: world.ids(),
            settings: P::settings(world.settings()),
            users: P::users(world.users()),
            cap: crate::limits::Cap {
                live: world.settings().limits.live_objects,
                budget: world.budget(),
            },
        }
    }
}

// By hand: a derive would ask the marker type to be `Copy` too.
impl<P: ProviderApi> Clone for Ctx<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: ProviderApi> Copy for Ctx<'_, P> {}

/// One step of signing in as the demo world's user, through the provider's
/// own endpoints, so the fuzz targets reach the decoding behind
/// authentication. Read only by the fuzz entry points.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
pub(crate) enum SignIn {
    /// A header every request then carries.
    Header(&'static str, &'static str),
    /// A fixed bearer token.
    Bearer(&'static str),
    /// `POST path` with `body` (a form when `form`); the answer's `field`
    /// becomes the bearer token.
    Token {
        path: &'static str,
        body: &'static str,
        form: bool,
        field: &'static str,
    },
    /// `POST path` with a JSON `body`, whose answer does not matter.
    Post(&'static str, &'static str),
}

/// The control-API routes of a provider that has none. Every provider today
/// plays an end user, so none uses it; a new one may start with it.
#[allow(dead_code)]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NoControl {}

impl RouteTable for NoControl {
    fn parse(_method: &Method, _segments: &[&str]) -> RouteMatch<Self> {
        RouteMatch::NotFound
    }
}

impl Operation for NoControl {
    const ALL: &'static [&'static str] = &[];

    fn operation(&self) -> &'static str {
        match *self {}
    }
}

impl EndUser for NoControl {
    fn handle(self, _req: &Request, _world: Arc<World>) -> Reply<Response> {
        match self {}
    }
}

/// Failures every provider must be able to report in its own envelope.
#[derive(Debug)]
pub(crate) enum CommonError {
    NotFound,
    MethodNotAllowed {
        allow: &'static str,
    },
    PayloadTooLarge {
        limit: usize,
    },
    /// The body did not arrive in time; the message says how long it had.
    RequestTimeout(String),
    /// A store is full of live objects: the provider's rate-limit answer.
    TooMany(crate::limits::Full),
    /// A host that asks for mutual TLS got a TLS connection without a
    /// client certificate.
    ClientCertificateRequired,
    /// A scenario rule's templated answer would pass
    /// [`crate::limits::RENDERED_ANSWER_LIMIT`] for this request.
    AnswerTooLarge {
        limit: usize,
    },
    /// A handler failed in a way it did not foresee; never expected.
    Internal(String),
}

/// A provider's error type: every failure it reports, and the failures
/// every provider must report, in the provider's own envelope.
pub(crate) trait ProviderError: From<CommonError> {
    /// The answer, as the provider writes its errors.
    fn into_response(self) -> Response;
    /// The same for an error a handler returned in `world`; an envelope that
    /// carries a fresh id per error draws it there.
    fn in_world(self, _world: &World) -> Response {
        self.into_response()
    }
}

/// A provider's route table: pure routing, no state, no I/O.
pub(crate) trait RouteTable: Operation + Sized + std::fmt::Debug {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self>;
}

/// The stable `<provider>.<resource>.<verb>` id of a route, which scenario
/// rules and the journal name it by. Implemented by [`operation_ids!`].
pub(crate) trait Operation {
    /// Every operation id of the table, in its order.
    const ALL: &'static [&'static str];
    fn operation(&self) -> &'static str;
}

/// Writes each route's operation id beside its pattern, once: generates the
/// route type's [`Operation`], with every id in that order.
macro_rules! operation_ids {
    ($route:ty, $($pattern:pat => $id:expr,)*) => {
        impl $crate::providers::Operation for $route {
            const ALL: &'static [&'static str] = &[$($id,)*];

            fn operation(&self) -> &'static str {
                match self {
                    $($pattern => $id,)*
                }
            }
        }
    };
}
pub(crate) use operation_ids;

impl CommonError {
    /// The status, a `snake_case` code and a message; each provider puts
    /// them in its own envelope.
    pub(crate) fn parts(self) -> (hyper::StatusCode, &'static str, String) {
        use hyper::StatusCode as S;
        match self {
            Self::NotFound => (S::NOT_FOUND, "not_found", "No such endpoint".to_owned()),
            Self::MethodNotAllowed { allow } => (
                S::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("This endpoint accepts {allow}"),
            ),
            Self::PayloadTooLarge { limit } => (
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("Request body exceeds {limit} bytes"),
            ),
            Self::RequestTimeout(message) => (S::REQUEST_TIMEOUT, "request_timeout", message),
            // The request's own values would make the rule's answer this
            // large: refused like a body over the limit, not amplified.
            Self::AnswerTooLarge { limit } => (
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The scenario rule's answer to this request would exceed {limit} bytes: the request quotes too much into it"),
            ),
            Self::TooMany(full) => (S::TOO_MANY_REQUESTS, "too_many_requests", full.message()),
            Self::ClientCertificateRequired => (
                S::FORBIDDEN,
                "client_certificate_required",
                "This host takes mutual TLS: present a client certificate the sandbox's CA signed (POST /__admin/client-certificates)".to_owned(),
            ),
            Self::Internal(message) => (S::INTERNAL_SERVER_ERROR, "internal_server_error", message),
        }
    }
}

/// The parts of a provider that follow from its folder's layout, which the
/// registry implements for each provider (see `dispatch.rs`): its store,
/// `<name>::Store`, and its sections of a scenario file, `<name>::config`.
pub(crate) trait Parts {
    /// The provider's in-memory state, one per world.
    type Store: std::fmt::Debug + Send + Sync;
    /// Its part of a scenario file's `settings` and `users`.
    type Settings: std::fmt::Debug;
    type Users: std::fmt::Debug;
    fn settings(all: &super::Settings) -> &Self::Settings;
    fn users(all: &super::Users) -> &Self::Users;
}

/// Everything else the sandbox needs from one provider: its routes and
/// handlers for the router, what the dashboard and the control API show of
/// it and do for its end user, and how a scenario's users shape it.
pub(crate) trait ProviderApi: Parts {
    const PROVIDER: Provider;
    type Route: RouteTable;

    /// The provider's error, in its own envelope.
    type Error: ProviderError;

    /// Runs the operation against the world.
    fn handle(route: Self::Route, req: &Request, world: &World) -> Result<Response, Self::Error>;
    /// Renders an error of a handler.
    fn render(err: Self::Error, world: &World) -> Response {
        err.in_world(world)
    }
    /// Renders a failure found before any handler ran (no route, a body too
    /// large or too slow, a full store) in the provider's envelope.
    fn common_error(err: CommonError) -> Response {
        Self::Error::from(err).into_response()
    }

    /// The header that carries an idempotency key, for providers that honour one.
    const IDEMPOTENCY_HEADER: Option<&'static str> = None;

    /// The answer to a repeat sent while the first request of its key runs.
    fn idempotency_in_progress() -> Response {
        Self::common_error(CommonError::Internal(
            "idempotency is not supported by this provider".to_owned(),
        ))
    }

    /// Adds what every answer of this provider carries, whatever produced it.
    fn decorate(_response: &mut Response, _world: &World) {}

    /// What waits for the end user, for the dashboard's `<name>/pending`
    /// template (which [`ProviderApi::TEMPLATES`] must then hold); `Null`
    /// for no section.
    fn pending(_world: &World) -> Value {
        Value::Null
    }

    /// Folds the simulated users' choices into the settings and fixtures the
    /// provider reads, so it looks in one place.
    fn apply_users(_scenario: &mut SectionsMut<'_>) {}
    /// How this provider's SMS arrive, when its users' section says.
    fn own_sms(_users: &Users) -> Option<SmsUser> {
        None
    }

    /// Its control-API routes and dashboard buttons, which play its end
    /// user ([`NoControl`] for none).
    type Control: EndUser;
    /// The provider's own API host names (sandbox and production): a
    /// request whose `Host` is one of them reaches this provider without its
    /// path prefix, so a client keeps the URLs it was written with.
    const HOSTS: &'static [&'static str] = &[];
    /// Those of [`ProviderApi::HOSTS`] where the real provider asks for a
    /// client certificate: over HTTPS the sandbox does too.
    const MUTUAL_TLS_HOSTS: &'static [&'static str] = &[];
    /// Operation ids of the calls the sandbox makes itself (no route answers
    /// them); scenario rules still match them.
    const OUTBOUND_OPERATIONS: &'static [&'static str] = &[];
    /// The rules of the provider's guide and reference the integration
    /// report judges the client by.
    const RULES: &'static [crate::report::Rule] = &[];
    /// Checks a webhook that reached the built-in receiver over HTTP:
    /// `Some(verified)` when it carries this provider's signature headers.
    const CHECK_WEBHOOK: Option<super::webhooks::Check> = None;
    /// A request only a signed-in caller gets past, and what it then
    /// answers: `(method, path, body, status)`. The fuzz tests check that
    /// [`ProviderApi::SIGN_IN`] signs in.
    #[cfg(test)]
    const SIGNED_IN_PROBE: (&'static str, &'static str, &'static str, u16);
    /// How a fuzz run signs in as the demo world's user.
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
    const SIGN_IN: &'static [SignIn] = &[];

    /// The pages it serves, as handlebars templates: `(name, source)`, the
    /// name prefixed with the provider's.
    const TEMPLATES: &'static [(&'static str, &'static str)] = &[];
}

/// What plays a provider's end user: its control-API routes below
/// `/__admin/<name>/` and its dashboard buttons. The provider's
/// `control::Control` implements it.
pub(crate) trait EndUser: RouteTable + PartialEq + Eq {
    /// Its dashboard buttons' verbs; a form naming another is refused.
    const BUTTONS: &'static [&'static str] = &[];
    /// Runs the control-API route. The world is shared, for a route that
    /// starts work which outlives the request.
    fn handle(self, req: &Request, world: Arc<World>) -> Reply<Response>;
    /// Presses button `verb` on `id` (`code`: what the form's code field
    /// holds): the notice to show, or why it did nothing; `None` when there
    /// is no such button.
    fn press(
        _world: &World,
        _verb: &str,
        _id: &str,
        _code: &str,
    ) -> Option<Result<String, String>> {
        None
    }
}
