//! Solaris' routes below `/solaris`, and their operation ids.

use hyper::Method;

use crate::providers::{operation_ids, RouteMatch, RouteTable};

/// One Solaris operation, with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// The deprecated token endpoint.
    Token,
    /// The OAuth2 server's token endpoint.
    OAuth2Token,
    GetPerson(String),
    UpdatePerson(String),
    GetMobile(String),
    AddMobile(String),
    DeleteMobile(String),
    AuthorizeMobile(String),
    ConfirmMobile(String),
    SepaTransfer {
        person: String,
        account: String,
    },
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
    CreateActivationChallenge,
    GetActivationChallenge(String),
    DeleteActivationChallenge(String),
    ListWebhooks,
    CreateWebhook,
    GetWebhook(String),
    DeleteWebhook(String),
}

operation_ids! {
    Route,
    Self::Token => "solaris.oauth.token",
    Self::OAuth2Token => "solaris.oauth2.token",
    Self::GetPerson(_) => "solaris.person.get",
    Self::UpdatePerson(_) => "solaris.person.update",
    Self::GetMobile(_) => "solaris.mobile_number.get",
    Self::AddMobile(_) => "solaris.mobile_number.create",
    Self::DeleteMobile(_) => "solaris.mobile_number.delete",
    Self::AuthorizeMobile(_) => "solaris.mobile_number.authorize",
    Self::ConfirmMobile(_) => "solaris.mobile_number.confirm",
    Self::SepaTransfer { .. } => "solaris.sepa_credit_transfer.create",
    Self::ListTrustedIbans(_) => "solaris.trusted_iban.list",
    Self::AddTrustedIban(_) => "solaris.trusted_iban.create",
    Self::CreateSmsChallenge => "solaris.sms_challenge.create",
    Self::GetSmsChallenge(_) => "solaris.sms_challenge.get",
    Self::VerifySmsChallenge(_) => "solaris.sms_challenge.verify",
    Self::GetSignatureChallenge(_) => "solaris.signature_challenge.get",
    Self::VerifySignatureChallenge(_) => "solaris.signature_challenge.verify",
    Self::CreateDeviceChallenge => "solaris.device_challenge.create",
    Self::VerifyDeviceChallenge(_) => "solaris.device_challenge.verify",
    Self::ListDevices => "solaris.device.list",
    Self::CreateDevice => "solaris.device.create",
    Self::GetDevice(_) => "solaris.device.get",
    Self::DeleteDevice(_) => "solaris.device.delete",
    Self::ListDeviceKeys(_) => "solaris.device_key.list",
    Self::AddDeviceKey(_) => "solaris.device_key.create",
    Self::GetChangeRequest(_) => "solaris.change_request.get",
    Self::AuthorizeChangeRequest(_) => "solaris.change_request.authorize",
    Self::ConfirmChangeRequest(_) => "solaris.change_request.confirm",
    Self::CreateActivationChallenge => "solaris.activation_challenge.create",
    Self::GetActivationChallenge(_) => "solaris.activation_challenge.get",
    Self::DeleteActivationChallenge(_) => "solaris.activation_challenge.delete",
    Self::ListWebhooks => "solaris.webhook_subscription.list",
    Self::CreateWebhook => "solaris.webhook_subscription.create",
    Self::GetWebhook(_) => "solaris.webhook_subscription.get",
    Self::DeleteWebhook(_) => "solaris.webhook_subscription.delete",
}

impl Route {
    /// The MFA challenges of the device-management reference, which answer
    /// errors in their flat shape.
    pub(crate) fn is_mfa_challenge(&self) -> bool {
        matches!(
            self,
            Self::CreateSmsChallenge
                | Self::GetSmsChallenge(_)
                | Self::VerifySmsChallenge(_)
                | Self::GetSignatureChallenge(_)
                | Self::VerifySignatureChallenge(_)
                | Self::CreateDeviceChallenge
                | Self::VerifyDeviceChallenge(_)
                | Self::CreateActivationChallenge
                | Self::GetActivationChallenge(_)
                | Self::DeleteActivationChallenge(_)
        )
    }
}

impl RouteTable for Route {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        use RouteMatch::{Found, MethodNotAllowed, NotFound};
        let m = method.clone();
        let own = |s: &&str| (*s).to_owned();
        match (segments, m) {
            (["oauth", "token"], Method::POST) => Found(Self::Token),
            (["oauth", "token"], _) => MethodNotAllowed("POST"),
            (["oauth2", "token"], Method::POST) => Found(Self::OAuth2Token),
            (["oauth2", "token"], _) => MethodNotAllowed("POST"),
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
                (["mfa", "challenges", "activation"], Method::POST) => {
                    Found(Self::CreateActivationChallenge)
                }
                (["mfa", "challenges", "activation"], _) => MethodNotAllowed("POST"),
                (["mfa", "challenges", "activation", id], Method::GET) => {
                    Found(Self::GetActivationChallenge(own(id)))
                }
                (["mfa", "challenges", "activation", id], Method::DELETE) => {
                    Found(Self::DeleteActivationChallenge(own(id)))
                }
                (["mfa", "challenges", "activation", _], _) => MethodNotAllowed("GET, DELETE"),
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
                (["webhooks"], Method::GET) => Found(Self::ListWebhooks),
                (["webhooks"], Method::POST) => Found(Self::CreateWebhook),
                (["webhooks"], _) => MethodNotAllowed("GET, POST"),
                (["webhooks", id], Method::GET) => Found(Self::GetWebhook(own(id))),
                (["webhooks", id], Method::DELETE) => Found(Self::DeleteWebhook(own(id))),
                (["webhooks", _], _) => MethodNotAllowed("GET, DELETE"),
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
