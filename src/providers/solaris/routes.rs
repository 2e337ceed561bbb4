//! Solaris' routes below `/solaris`, and their operation ids.

use hyper::Method;

use crate::providers::{RouteMatch, RouteTable};

/// One Solaris operation, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Token,
    GetPerson(String),
    UpdatePerson(String),
    GetMobile(String),
    AddMobile(String),
    DeleteMobile(String),
    AuthorizeMobile(String),
    ConfirmMobile(String),
    SepaTransfer { person: String, account: String },
    ListTrustedIbans(String),
    AddTrustedIban(String),
    CreateSmsChallenge,
    GetSmsChallenge(String),
    VerifySmsChallenge(String),
    GetSignatureChallenge(String),
    VerifySignatureChallenge(String),
    CreateDeviceChallenge,
    VerifyDeviceChallenge(String),
    ListDevices,
    CreateDevice,
    GetDevice(String),
    DeleteDevice(String),
    ListDeviceKeys(String),
    AddDeviceKey(String),
    GetChangeRequest(String),
    AuthorizeChangeRequest(String),
    ConfirmChangeRequest(String),
}

/// Every Solaris operation id, as scenario rules name them.
pub(crate) const OPERATIONS: &[&str] = &[
    "solaris.oauth.token",
    "solaris.person.get",
    "solaris.person.update",
    "solaris.mobile_number.get",
    "solaris.mobile_number.create",
    "solaris.mobile_number.delete",
    "solaris.mobile_number.authorize",
    "solaris.mobile_number.confirm",
    "solaris.sepa_credit_transfer.create",
    "solaris.trusted_iban.list",
    "solaris.trusted_iban.create",
    "solaris.sms_challenge.create",
    "solaris.sms_challenge.get",
    "solaris.sms_challenge.verify",
    "solaris.signature_challenge.get",
    "solaris.signature_challenge.verify",
    "solaris.device_challenge.create",
    "solaris.device_challenge.verify",
    "solaris.device.list",
    "solaris.device.create",
    "solaris.device.get",
    "solaris.device.delete",
    "solaris.device_key.list",
    "solaris.device_key.create",
    "solaris.change_request.get",
    "solaris.change_request.authorize",
    "solaris.change_request.confirm",
];

impl RouteTable for Route {
    fn operation(&self) -> &'static str {
        let i = match self {
            Self::Token => 0,
            Self::GetPerson(_) => 1,
            Self::UpdatePerson(_) => 2,
            Self::GetMobile(_) => 3,
            Self::AddMobile(_) => 4,
            Self::DeleteMobile(_) => 5,
            Self::AuthorizeMobile(_) => 6,
            Self::ConfirmMobile(_) => 7,
            Self::SepaTransfer { .. } => 8,
            Self::ListTrustedIbans(_) => 9,
            Self::AddTrustedIban(_) => 10,
            Self::CreateSmsChallenge => 11,
            Self::GetSmsChallenge(_) => 12,
            Self::VerifySmsChallenge(_) => 13,
            Self::GetSignatureChallenge(_) => 14,
            Self::VerifySignatureChallenge(_) => 15,
            Self::CreateDeviceChallenge => 16,
            Self::VerifyDeviceChallenge(_) => 17,
            Self::ListDevices => 18,
            Self::CreateDevice => 19,
            Self::GetDevice(_) => 20,
            Self::DeleteDevice(_) => 21,
            Self::ListDeviceKeys(_) => 22,
            Self::AddDeviceKey(_) => 23,
            Self::GetChangeRequest(_) => 24,
            Self::AuthorizeChangeRequest(_) => 25,
            Self::ConfirmChangeRequest(_) => 26,
        };
        OPERATIONS[i]
    }

    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        use RouteMatch::{Found, MethodNotAllowed, NotFound};
        let m = method.clone();
        let own = |s: &&str| (*s).to_owned();
        match (segments, m) {
            (["oauth", "token"], Method::POST) => Found(Self::Token),
            (["oauth", "token"], _) => MethodNotAllowed("POST"),
            (["v1", rest @ ..], m) => match (rest, m) {
                (["persons", p], Method::GET) => Found(Self::GetPerson(own(p))),
                (["persons", p], Method::PATCH) => Found(Self::UpdatePerson(own(p))),
                (["persons", _], _) => MethodNotAllowed("GET, PATCH"),
                (["persons", p, "mobile_number"], Method::GET) => Found(Self::GetMobile(own(p))),
                (["persons", p, "mobile_number"], Method::POST) => Found(Self::AddMobile(own(p))),
                (["persons", p, "mobile_number"], Method::DELETE) => {
                    Found(Self::DeleteMobile(own(p)))
                }
                (["persons", _, "mobile_number"], _) => MethodNotAllowed("GET, POST, DELETE"),
                (["persons", p, "mobile_number", "authorize"], Method::POST) => {
                    Found(Self::AuthorizeMobile(own(p)))
                }
                (["persons", p, "mobile_number", "confirm"], Method::POST) => {
                    Found(Self::ConfirmMobile(own(p)))
                }
                (["persons", _, "mobile_number", "authorize" | "confirm"], _) => {
                    MethodNotAllowed("POST")
                }
                (
                    ["persons", p, "accounts", a, "transactions", "sepa_credit_transfer"],
                    Method::POST,
                ) => Found(Self::SepaTransfer {
                    person: own(p),
                    account: own(a),
                }),
                (["persons", _, "accounts", _, "transactions", "sepa_credit_transfer"], _) => {
                    MethodNotAllowed("POST")
                }
                (["persons", p, "trusted_ibans"], Method::GET) => {
                    Found(Self::ListTrustedIbans(own(p)))
                }
                (["persons", p, "trusted_ibans"], Method::POST) => {
                    Found(Self::AddTrustedIban(own(p)))
                }
                (["persons", _, "trusted_ibans"], _) => MethodNotAllowed("GET, POST"),
                (["mfa", "challenges", "sms"], Method::POST) => Found(Self::CreateSmsChallenge),
                (["mfa", "challenges", "sms"], _) => MethodNotAllowed("POST"),
                (["mfa", "challenges", "sms", id], Method::GET) => {
                    Found(Self::GetSmsChallenge(own(id)))
                }
                (["mfa", "challenges", "sms", id], Method::PUT) => {
                    Found(Self::VerifySmsChallenge(own(id)))
                }
                (["mfa", "challenges", "sms", _], _) => MethodNotAllowed("GET, PUT"),
                (["mfa", "challenges", "signatures", id], Method::GET) => {
                    Found(Self::GetSignatureChallenge(own(id)))
                }
                (["mfa", "challenges", "signatures", id], Method::PUT) => {
                    Found(Self::VerifySignatureChallenge(own(id)))
                }
                (["mfa", "challenges", "signatures", _], _) => MethodNotAllowed("GET, PUT"),
                (["mfa", "challenges", "devices"], Method::POST) => {
                    Found(Self::CreateDeviceChallenge)
                }
                (["mfa", "challenges", "devices"], _) => MethodNotAllowed("POST"),
                (["mfa", "challenges", "devices", id], Method::PUT) => {
                    Found(Self::VerifyDeviceChallenge(own(id)))
                }
                (["mfa", "challenges", "devices", _], _) => MethodNotAllowed("PUT"),
                (["mfa", "devices"], Method::GET) => Found(Self::ListDevices),
                (["mfa", "devices"], Method::POST) => Found(Self::CreateDevice),
                (["mfa", "devices"], _) => MethodNotAllowed("GET, POST"),
                (["mfa", "devices", id], Method::GET) => Found(Self::GetDevice(own(id))),
                (["mfa", "devices", id], Method::DELETE) => Found(Self::DeleteDevice(own(id))),
                (["mfa", "devices", _], _) => MethodNotAllowed("GET, DELETE"),
                (["mfa", "devices", id, "keys"], Method::GET) => {
                    Found(Self::ListDeviceKeys(own(id)))
                }
                (["mfa", "devices", id, "keys"], Method::POST) => {
                    Found(Self::AddDeviceKey(own(id)))
                }
                (["mfa", "devices", _, "keys"], _) => MethodNotAllowed("GET, POST"),
                (["change_requests", id], Method::GET) => Found(Self::GetChangeRequest(own(id))),
                (["change_requests", _], _) => MethodNotAllowed("GET"),
                (["change_requests", id, "authorize"], Method::POST) => {
                    Found(Self::AuthorizeChangeRequest(own(id)))
                }
                (["change_requests", id, "confirm"], Method::POST) => {
                    Found(Self::ConfirmChangeRequest(own(id)))
                }
                (["change_requests", _, "authorize" | "confirm"], _) => MethodNotAllowed("POST"),
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
            (Method::POST, "/oauth/token", Route::Token),
            (
                Method::PATCH,
                "/v1/persons/p1",
                Route::UpdatePerson("p1".into()),
            ),
            (
                Method::DELETE,
                "/v1/persons/p1/mobile_number",
                Route::DeleteMobile("p1".into()),
            ),
            (
                Method::POST,
                "/v1/persons/p1/accounts/a1/transactions/sepa_credit_transfer",
                Route::SepaTransfer {
                    person: "p1".into(),
                    account: "a1".into(),
                },
            ),
            (
                Method::PUT,
                "/v1/mfa/challenges/signatures/c1",
                Route::VerifySignatureChallenge("c1".into()),
            ),
            (
                Method::POST,
                "/v1/mfa/devices/d1/keys",
                Route::AddDeviceKey("d1".into()),
            ),
            (
                Method::POST,
                "/v1/change_requests/x/confirm",
                Route::ConfirmChangeRequest("x".into()),
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
    fn wrong_methods_and_unknown_paths() {
        assert!(matches!(
            parse(Method::PUT, "/v1/persons/p1"),
            RouteMatch::MethodNotAllowed("GET, PATCH")
        ));
        assert!(matches!(
            parse(Method::GET, "/v1/change_requests/x/confirm"),
            RouteMatch::MethodNotAllowed("POST")
        ));
        assert!(matches!(
            parse(Method::GET, "/v2/persons/p1"),
            RouteMatch::NotFound
        ));
    }
}
