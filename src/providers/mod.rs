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
//! [`ProviderApi`] is the seam the router drives, so every provider gets body
//! limits, scenario rules, the journal and not-found/405 handling the same way.

use hyper::Method;
use serde::Serialize;

use crate::http::{Request, Response};
use crate::state::World;

pub(crate) mod intergiro;
pub(crate) mod shine;
pub(crate) mod solaris;
pub(crate) mod thredd;
pub(crate) mod weavr;

/// A provider the sandbox imitates, named by its path prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Intergiro,
    Weavr,
    Solaris,
    Shine,
    Thredd,
}

impl Provider {
    /// Every provider, in the order of the README.
    pub const ALL: &'static [Provider] = &[
        Provider::Intergiro,
        Provider::Weavr,
        Provider::Solaris,
        Provider::Shine,
        Provider::Thredd,
    ];

    /// The provider's name and path prefix without the slash.
    pub fn name(self) -> &'static str {
        match self {
            Self::Intergiro => "intergiro",
            Self::Weavr => "weavr",
            Self::Solaris => "solaris",
            Self::Shine => "shine",
            Self::Thredd => "thredd",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// Every operation id of this provider.
    pub(crate) fn operations(self) -> &'static [&'static str] {
        match self {
            Self::Intergiro => intergiro::routes::OPERATIONS,
            Self::Weavr => weavr::routes::OPERATIONS,
            Self::Solaris => solaris::routes::OPERATIONS,
            Self::Shine => shine::routes::OPERATIONS,
            Self::Thredd => thredd::routes::OPERATIONS,
        }
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

/// What every provider module offers the router.
pub(crate) trait ProviderApi {
    const PROVIDER: Provider;
    type Route: RouteTable;

    /// Runs the operation against the world.
    fn handle(route: Self::Route, req: &Request, world: &World) -> Response;
    /// Renders a common failure in the provider's envelope.
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
}

/// Runs `f` on the provider named by `provider`'s marker type.
macro_rules! with_provider {
    ($provider:expr, $api:ident => $body:expr) => {
        match $provider {
            $crate::providers::Provider::Intergiro => {
                type $api = $crate::providers::intergiro::Intergiro;
                $body
            }
            $crate::providers::Provider::Weavr => {
                type $api = $crate::providers::weavr::Weavr;
                $body
            }
            $crate::providers::Provider::Solaris => {
                type $api = $crate::providers::solaris::Solaris;
                $body
            }
            $crate::providers::Provider::Shine => {
                type $api = $crate::providers::shine::Shine;
                $body
            }
            $crate::providers::Provider::Thredd => {
                type $api = $crate::providers::thredd::Thredd;
                $body
            }
        }
    };
}
pub(crate) use with_provider;

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
