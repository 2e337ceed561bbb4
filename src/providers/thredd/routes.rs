//! Thredd's routes below `/thredd`, and their operation ids.

use hyper::Method;

use crate::providers::{operation_ids, RouteMatch, RouteTable};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Token,
    Introspect,
    NotifyValidate,
    /// IdentityServer's discovery document, and the keys it names.
    Discovery,
    Jwks,
}

operation_ids! {
    Route,
    Self::Token => "thredd.oauth.token",
    Self::Introspect => "thredd.oauth.introspect",
    Self::NotifyValidate => "thredd.notify_validate.create",
    Self::Discovery => "thredd.oidc.configuration",
    Self::Jwks => "thredd.oidc.jwks",
}

impl RouteTable for Route {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        let discovery = match segments {
            [".well-known", "openid-configuration"] => Some(Self::Discovery),
            [".well-known", "openid-configuration", "jwks"] => Some(Self::Jwks),
            _ => None,
        };
        if let Some(route) = discovery {
            return if method == Method::GET {
                RouteMatch::Found(route)
            } else {
                RouteMatch::MethodNotAllowed("GET")
            };
        }
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
