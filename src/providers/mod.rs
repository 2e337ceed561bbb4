//! The imitated providers, one module each, all of the same shape:
//!
//! - `routes.rs`: the `Route` enum, its pure `parse(method, segments)`, and the
//!   operation id of each route;
//! - `handlers.rs`: one function per operation, from a buffered request and the
//!   world to a response;
//! - `model.rs`: the provider's wire types;
//! - `error.rs`: the provider's error envelope;
//! - `store.rs`: the provider's in-memory state and its lifetimes;
//! - `config.rs`: its part of a scenario file (settings, fixtures, simulated user).
//!
//! Each provider is one marker type implementing [`ProviderApi`], which carries
//! everything the rest of the sandbox needs from it. [`registry!`] lists the
//! providers, one line each; the world's stores, the scenario file's
//! per-provider sections, the router and the control API are generated from
//! or iterate over that list, and name no provider themselves.

use hyper::Method;
use serde::Serialize;
use serde_json::Value;

use std::sync::Arc;

use crate::control::Reply;
use crate::http::{Request, Response};
use crate::ids::IdGen;
use crate::scenario::{Scenario, SmsUser, Users};
use crate::state::World;

/// The providers the sandbox imitates, one line each: the module (and name,
/// path prefix and scenario key) and its marker type. Calls `$callback!` with
/// the list, after any tokens given in parentheses.
macro_rules! registry {
    ($callback:ident $(($($args:tt)*))?) => {
        $callback! { ($($($args)*)?)
            intergiro Intergiro,
            weavr Weavr,
            solaris Solaris,
            shine Shine,
            thredd Thredd,
        }
    };
}
pub(crate) use registry;

macro_rules! declare {
    (() $($name:ident $ty:ident,)*) => {
        $(pub(crate) mod $name;)*

        /// A provider the sandbox imitates, named by its path prefix.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Provider {
            $($ty,)*
        }

        impl Provider {
            /// Every provider, in the order of the README.
            pub const ALL: &'static [Provider] = &[$(Provider::$ty,)*];

            /// The provider's name and path prefix without the slash.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$ty => stringify!($name),)*
                }
            }

            /// Every operation id of this provider.
            pub(crate) fn operations(self) -> &'static [&'static str] {
                match self {
                    $(Self::$ty => $name::routes::OPERATIONS,)*
                }
            }
        }

        /// Every provider's store, one field each, named like the provider.
        #[derive(Debug)]
        pub(crate) struct Stores {
            $(pub(crate) $name: <$name::$ty as ProviderApi>::Store,)*
        }

        impl Stores {
            /// Fresh stores holding the scenario's fixtures. Providers draw
            /// from `ids` in the order of the registry, so a seed gives the
            /// same world every time.
            pub(crate) fn new(scenario: &Scenario, ids: &IdGen) -> Self {
                Self {
                    $($name: <$name::$ty as ProviderApi>::store(scenario, ids),)*
                }
            }
        }

        /// Settles every provider's store at the world's current time.
        pub(crate) fn sweep(world: &World) {
            $(<$name::$ty as ProviderApi>::sweep(world);)*
        }

        /// Live objects per provider, keyed by name.
        pub(crate) fn stats(world: &World) -> serde_json::Map<String, Value> {
            let mut all = serde_json::Map::new();
            $(all.insert(stringify!($name).to_owned(), <$name::$ty as ProviderApi>::stats(world));)*
            all
        }

        /// What waits for the end user at each provider, for the dashboard.
        pub(crate) fn pending(world: &World) -> serde_json::Map<String, Value> {
            let mut all = serde_json::Map::new();
            $(all.insert(stringify!($name).to_owned(), <$name::$ty as ProviderApi>::pending(world));)*
            all
        }

        /// How the scenario's users receive `provider`'s SMS, when its own
        /// section says (`None`: as `users.sms` says).
        pub(crate) fn own_sms(users: &Users, provider: &str) -> Option<SmsUser> {
            match provider {
                $(stringify!($name) => <$name::$ty as ProviderApi>::own_sms(users),)*
                _ => None,
            }
        }

        /// Checks every provider's part of a scenario, then folds the
        /// simulated users' choices into what the providers read.
        pub(crate) fn validate(scenario: &Scenario) -> Result<(), (serde_saphyr::Location, String)> {
            $(<$name::$ty as ProviderApi>::validate(scenario)?;)*
            Ok(())
        }

        pub(crate) fn apply_users(scenario: &mut Scenario) {
            $(<$name::$ty as ProviderApi>::apply_users(scenario);)*
        }

        /// A control-API route of one provider, below `/__admin/<name>/`.
        #[derive(Debug, PartialEq, Eq)]
        pub(crate) enum ControlRoute {
            $($ty(<$name::$ty as ProviderApi>::Control),)*
        }

        impl ControlRoute {
            /// `rest` is the path below `/__admin/<provider>/`.
            pub(crate) fn parse(method: &Method, provider: &str, rest: &[&str]) -> RouteMatch<Self> {
                match provider {
                    $(stringify!($name) => {
                        <<$name::$ty as ProviderApi>::Control as RouteTable>::parse(method, rest)
                            .map(Self::$ty)
                    })*
                    _ => RouteMatch::NotFound,
                }
            }

            pub(crate) fn operation(&self) -> &'static str {
                match self {
                    $(Self::$ty(route) => route.operation(),)*
                }
            }

            pub(crate) fn handle(self, req: &Request, world: Arc<World>) -> Reply<Response> {
                match self {
                    $(Self::$ty(route) => <$name::$ty as ProviderApi>::control(route, req, world),)*
                }
            }
        }

        /// Every provider's control-API operation ids, for the OpenAPI check.
        #[cfg(test)]
        pub(crate) fn control_operations() -> impl Iterator<Item = &'static str> {
            [$(<$name::$ty as ProviderApi>::CONTROL_OPERATIONS,)*]
                .into_iter()
                .flatten()
                .copied()
        }

        impl Provider {
            /// The operation ids of the calls the sandbox makes as this provider.
            #[cfg(test)]
            pub(crate) fn outbound_operations(self) -> &'static [&'static str] {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::OUTBOUND_OPERATIONS,)*
                }
            }

            /// How a fuzz run signs in as this provider's demo user.
            #[cfg(any(test, feature = "fuzzing"))]
            pub(crate) fn sign_in(self) -> &'static [SignIn] {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::SIGN_IN,)*
                }
            }
        }

        /// Every provider's page templates.
        pub(crate) fn templates() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
            [$(<$name::$ty as ProviderApi>::TEMPLATES,)*].into_iter().flatten()
        }

        /// Whether `action` is a provider's dashboard button, `<provider>_<verb>`.
        pub(crate) fn is_button(action: &str) -> bool {
            let Some((provider, verb)) = action.split_once('_') else {
                return false;
            };
            match provider {
                $(stringify!($name) => <$name::$ty as ProviderApi>::BUTTONS.contains(&verb),)*
                _ => false,
            }
        }

        /// Presses the dashboard button `<provider>_<verb>` on `id`: the
        /// notice to show, or why it did nothing. `None`: no such button.
        pub(crate) fn button(world: &Arc<World>, action: &str, id: &str, code: &str) -> Option<Result<String, String>> {
            let (provider, verb) = action.split_once('_')?;
            match provider {
                $(stringify!($name) => <$name::$ty as ProviderApi>::button(world, verb, id, code),)*
                _ => None,
            }
        }
    };
}
registry!(declare);

impl Provider {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// Every operation id of every provider, for validating scenario rules.
pub(crate) fn all_operations() -> impl Iterator<Item = &'static str> {
    Provider::ALL
        .iter()
        .flat_map(|p| p.operations().iter().copied())
}

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
    /// What the store keeps of each kind at most.
    pub(crate) cap: std::num::NonZeroUsize,
}

impl<'a, P: ProviderApi> Ctx<'a, P> {
    /// The world's context at its current time.
    pub(crate) fn of(world: &'a World) -> Self {
        Self {
            now: world.now(),
            ids: &world.ids,
            settings: P::settings(&world.scenario),
            users: P::users(&world.scenario),
            cap: world.scenario.settings.limits.live_objects,
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

/// The control-API routes of a provider that has none.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NoControl {}

impl RouteTable for NoControl {
    fn parse(_method: &Method, _segments: &[&str]) -> RouteMatch<Self> {
        RouteMatch::NotFound
    }

    fn operation(&self) -> &'static str {
        match *self {}
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
    /// A handler failed in a way it did not foresee; never expected.
    Internal(String),
}

/// A provider's route table: pure routing, no state, no I/O.
pub(crate) trait RouteTable: Sized + std::fmt::Debug {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self>;
    /// The stable `<provider>.<resource>.<verb>` id of a route.
    fn operation(&self) -> &'static str;
}

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
            Self::TooMany(full) => (S::TOO_MANY_REQUESTS, "too_many_requests", full.message()),
            Self::Internal(message) => (S::INTERNAL_SERVER_ERROR, "internal_server_error", message),
        }
    }
}

/// Everything the rest of the sandbox needs from one provider: its routes
/// and handlers for the router, its store for the world, its part of a
/// scenario file, and what the dashboard shows of it.
pub(crate) trait ProviderApi {
    const PROVIDER: Provider;
    type Route: RouteTable;
    /// The provider's in-memory state, one per world.
    type Store: std::fmt::Debug + Send + Sync;

    /// The provider's error, in its own envelope.
    type Error: From<CommonError>;

    /// Runs the operation against the world.
    fn handle(route: Self::Route, req: &Request, world: &World) -> Result<Response, Self::Error>;
    /// Renders an error of a handler.
    fn render(err: Self::Error, world: &World) -> Response;
    /// Renders a failure found before any handler ran (no route, a body too
    /// large or too slow, a full store) in the provider's envelope.
    fn common_error(err: CommonError) -> Response;

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

    /// Its part of a scenario file's `settings` and `users`.
    type Settings: std::fmt::Debug;
    type Users: std::fmt::Debug;
    fn settings(scenario: &Scenario) -> &Self::Settings;
    fn users(scenario: &Scenario) -> &Self::Users;

    /// A fresh store holding the scenario's fixtures.
    fn store(scenario: &Scenario, ids: &IdGen) -> Self::Store;
    /// Settles what came due: expiries, simulated users, purges.
    fn sweep(world: &World);
    /// Live objects, for the control API's stats.
    fn stats(world: &World) -> Value;
    /// What waits for the end user, for the dashboard.
    fn pending(_world: &World) -> Value {
        Value::Null
    }

    /// Checks the provider's part of a scenario file.
    fn validate(scenario: &Scenario) -> Result<(), (serde_saphyr::Location, String)>;
    /// Folds the simulated users' choices into the settings and fixtures the
    /// provider reads, so it looks in one place.
    fn apply_users(_scenario: &mut Scenario) {}
    /// How this provider's SMS arrive, when its users' section says.
    fn own_sms(_users: &Users) -> Option<SmsUser> {
        None
    }

    /// Its control-API routes below `/__admin/<name>/`, which play the end
    /// user ([`NoControl`] for none), and their operation ids.
    type Control: RouteTable + PartialEq + Eq;
    #[cfg_attr(not(test), allow(dead_code))]
    const CONTROL_OPERATIONS: &'static [&'static str] = &[];
    /// Operation ids of the calls the sandbox makes itself (no route answers
    /// them); scenario rules still match them.
    #[cfg_attr(not(test), allow(dead_code))]
    const OUTBOUND_OPERATIONS: &'static [&'static str] = &[];
    /// How a fuzz run signs in as the demo world's user.
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
    const SIGN_IN: &'static [SignIn] = &[];

    /// The pages it serves, as handlebars templates: `(name, source)`, the
    /// name prefixed with the provider's.
    const TEMPLATES: &'static [(&'static str, &'static str)] = &[];

    /// Its dashboard buttons' verbs; a form naming another is refused.
    const BUTTONS: &'static [&'static str] = &[];
    /// Runs a control-API route.
    fn control(route: Self::Control, req: &Request, world: Arc<World>) -> Reply<Response>;
    /// Presses one of its dashboard buttons (`verb` without the provider's
    /// prefix): the notice to show, or why it did nothing; `None` when it
    /// has no such button.
    fn button(
        _world: &Arc<World>,
        _verb: &str,
        _id: &str,
        _code: &str,
    ) -> Option<Result<String, String>> {
        None
    }
}

macro_rules! declare_with_provider {
    (($d:tt) $($name:ident $ty:ident,)*) => {
        /// Runs `$body` with `$api` standing for the marker type of `$provider`.
        macro_rules! with_provider {
            ($d provider:expr, $d api:ident => $d body:expr) => {
                match $d provider {
                    $($crate::providers::Provider::$ty => {
                        type $d api = $crate::providers::$name::$ty;
                        $d body
                    })*
                }
            };
        }
        pub(crate) use with_provider;
    };
}
registry!(declare_with_provider($));

/// Splits `path` and parses it with `parse`, for route tables' unit tests.
#[cfg(test)]
pub(crate) fn parse_path<R>(
    parse: fn(&Method, &[&str]) -> RouteMatch<R>,
    method: Method,
    path: &str,
) -> RouteMatch<R> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    parse(&method, &segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for op in all_operations() {
            assert!(seen.insert(op), "duplicate operation id {op}");
            let parts: Vec<&str> = op.split('.').collect();
            assert_eq!(parts.len(), 3, "{op} is not <provider>.<resource>.<verb>");
            assert!(Provider::from_name(parts[0]).is_some(), "{op}");
        }
    }
}
