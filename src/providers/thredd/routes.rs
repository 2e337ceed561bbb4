//! Thredd's routes below `/thredd`, and their operation ids.

use hyper::Method;

use crate::providers::{RouteMatch, RouteTable};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Token,
    Introspect,
    NotifyValidate,
}

/// Every Thredd operation id. The last is the call the sandbox makes.
pub(crate) const OPERATIONS: &[&str] = &[
    "thredd.oauth.token",
    "thredd.oauth.introspect",
    "thredd.notify_validate.create",
    super::delivery::OPERATION,
];

impl RouteTable for Route {
    fn operation(&self) -> &'static str {
        match self {
            Self::Token => OPERATIONS[0],
            Self::Introspect => OPERATIONS[1],
            Self::NotifyValidate => OPERATIONS[2],
        }
    }

    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        let route = match segments {
            ["connect", "token"] => Self::Token,
            ["connect", "introspect"] => Self::Introspect,
            ["api", "v1", "NotifyValidate"] => Self::NotifyValidate,
            _ => return RouteMatch::NotFound,
        };
        if method == Method::POST {
            RouteMatch::Found(route)
        } else {
            RouteMatch::MethodNotAllowed("POST")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse() {
        let parse = |m, p| crate::providers::parse_path(Route::parse, m, p);
        assert!(matches!(
            parse(Method::POST, "/api/v1/NotifyValidate"),
            RouteMatch::Found(Route::NotifyValidate)
        ));
        assert!(matches!(
            parse(Method::GET, "/connect/token"),
            RouteMatch::MethodNotAllowed("POST")
        ));
        assert!(matches!(
            parse(Method::POST, "/api/v2/NotifyValidate"),
            RouteMatch::NotFound
        ));
    }
}
