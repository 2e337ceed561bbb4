//! Shine's routes below `/shine`, and their operation ids.

use hyper::Method;

use crate::providers::{operation_ids, RouteMatch, RouteTable};

/// One Shine operation, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Authorize,
    Token,
    RevokeToken,
    CreateActionRequest,
    PollActionRequest { id: String },
    CreateTransfer,
    GetTransfer { id: String },
    QueryTransfers,
    QueryRecipients,
    GetRecipient { id: String },
}

operation_ids! {
    Route,
    Self::Authorize => "shine.oauth.authorize",
    Self::Token => "shine.oauth.token",
    Self::RevokeToken => "shine.oauth.revoke",
    Self::CreateActionRequest => "shine.action_request.create",
    Self::PollActionRequest { .. } => "shine.action_request.poll",
    Self::CreateTransfer => "shine.transfer.create",
    Self::GetTransfer { .. } => "shine.transfer.get",
    Self::QueryTransfers => "shine.transfer.query",
    Self::QueryRecipients => "shine.recipient.query",
    Self::GetRecipient { .. } => "shine.recipient.get",
}

impl RouteTable for Route {
    /// Static paths come before parameterised ones.
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        use RouteMatch::{Found, MethodNotAllowed, NotFound};
        let get = method == Method::GET;
        let post = method == Method::POST;
        match segments {
            // The reference documents revocation here; the older path below,
            // beside the token endpoint, stays as an alias.
            ["v2", "authentication", "token", "revoke"] if post => Found(Self::RevokeToken),
            ["v2", "authentication", "token", "revoke"] => MethodNotAllowed("POST"),
            ["v2", "authentication", "oauth2", rest @ ..] => match rest {
                ["authorize"] if get => Found(Self::Authorize),
                ["authorize"] => MethodNotAllowed("GET"),
                // The demo app sends GET with a query, the reference POST with a body.
                ["token"] if get || post => Found(Self::Token),
                ["token"] => MethodNotAllowed("GET, POST"),
                ["token", "revoke"] if post => Found(Self::RevokeToken),
                ["token", "revoke"] => MethodNotAllowed("POST"),
                ["action_request"] if post => Found(Self::CreateActionRequest),
                ["action_request"] => MethodNotAllowed("POST"),
                // Shine's guide polls with GET, the API reference with POST.
                ["action_request", id, "poll"] if get || post => Found(Self::PollActionRequest {
                    id: (*id).to_owned(),
                }),
                ["action_request", _, "poll"] => MethodNotAllowed("GET, POST"),
                _ => NotFound,
            },
            // Shine's mutual-TLS host serves transfers at `/bank/transfers`,
            // its API host at `/v3/bank/transfers`: the same operations.
            ["v3", "bank", "transfers", rest @ ..] | ["bank", "transfers", rest @ ..] => match rest
            {
                [] if post => Found(Self::CreateTransfer),
                [] => MethodNotAllowed("POST"),
                ["query"] if get => Found(Self::QueryTransfers),
                ["recipients", "query"] if get => Found(Self::QueryRecipients),
                ["query"] | ["recipients", "query"] => MethodNotAllowed("GET"),
                ["recipients", id] if get => Found(Self::GetRecipient {
                    id: (*id).to_owned(),
                }),
                ["recipients", _] => MethodNotAllowed("GET"),
                [id] if get => Found(Self::GetTransfer {
                    id: (*id).to_owned(),
                }),
                [_] => MethodNotAllowed("GET"),
                _ => NotFound,
            },
            _ => NotFound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: Method, path: &str) -> RouteMatch<Route> {
        crate::providers::parse_path(Route::parse, method, path)
    }

    #[test]
    fn routes_parse_with_their_parameters() {
        let cases = [
            (
                Method::POST,
                "/v2/authentication/oauth2/action_request",
                Route::CreateActionRequest,
            ),
            (
                Method::GET,
                "/v2/authentication/oauth2/action_request/abc/poll",
                Route::PollActionRequest { id: "abc".into() },
            ),
            (
                Method::POST,
                "/v2/authentication/oauth2/action_request/abc/poll",
                Route::PollActionRequest { id: "abc".into() },
            ),
            (Method::POST, "/v3/bank/transfers", Route::CreateTransfer),
            (
                Method::GET,
                "/v3/bank/transfers/t1",
                Route::GetTransfer { id: "t1".into() },
            ),
            (Method::GET, "/v2/authentication/oauth2/token", Route::Token),
            (
                Method::POST,
                "/v2/authentication/oauth2/token/revoke",
                Route::RevokeToken,
            ),
            (
                Method::POST,
                "/v2/authentication/token/revoke",
                Route::RevokeToken,
            ),
        ];
        for (method, path, want) in cases {
            match parse(method.clone(), path) {
                RouteMatch::Found(route) => assert_eq!(route, want, "{method} {path}"),
                other => panic!("{method} {path}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_405_with_allow() {
        assert!(matches!(
            parse(Method::DELETE, "/v2/authentication/oauth2/action_request"),
            RouteMatch::MethodNotAllowed("POST")
        ));
        assert!(matches!(
            parse(
                Method::PUT,
                "/v2/authentication/oauth2/action_request/x/poll"
            ),
            RouteMatch::MethodNotAllowed("GET, POST")
        ));
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in ["/", "/v2", "/v3/bank", "/v2/authentication/oauth2/nope"] {
            assert!(
                matches!(parse(Method::GET, path), RouteMatch::NotFound),
                "{path}"
            );
        }
    }
}
