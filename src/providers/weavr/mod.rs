//! Weavr: a login token stepped up with an SMS one-time password, with the
//! retry rules of the provider's guide, for the Payment Run plug-in and the Multi API.
//!
//! Imitates <https://docs.weavr.io/start/multi-authentication-stepup> and the
//! Payment Run and Multi OpenAPI specs.
//!
//! Fidelity, what is not emulated (the README's fidelity section has the
//! whole list):
//! - roles (`CREATOR`, `CONTROLLER`) of authorised users, who cannot log in;
//! - funding and execution of payment runs: a run stops at `PENDING_FUNDING`;
//! - rate limiting (429) and password expiry (409 with a temporary token);
//! - webhooks: a push's outcome is read from the transaction or the token;
//! - the payment run's SCA challenge is issued through the sandbox simulator
//!   path, as on Weavr's sandbox.

mod buyers;
mod challenge;
pub(crate) mod config;
mod control;
mod error;
mod handlers;
mod listing;
mod model;
mod multi;
mod push;
mod report;
pub(crate) mod routes;
mod runs;
mod sca;
mod session;
mod store;
mod transfers;
mod webhooks;

use hyper::header::HeaderValue;

pub(crate) use store::Store;

use self::error::WeavrError;
use self::routes::Route;
use self::store::Ctx;
use crate::http::{Request, Response};
use crate::providers::SectionsMut;
use crate::providers::Users;
use crate::providers::World;
use crate::providers::{Provider, ProviderApi, ProviderError, SignIn};
use crate::terms::SmsUser;

/// Marker type through which the router drives Weavr.
#[derive(Debug)]
pub(crate) struct Weavr;

impl ProviderApi for Weavr {
    const PROVIDER: Provider = Provider::Weavr;
    /// Weavr's sandbox and production API hosts (`/multi`, `/payment-run`,
    /// `/simulate/api`).
    const HOSTS: &'static [&'static str] = &["sandbox.weavr.io", "api.weavr.io"];
    type Route = Route;
    const OUTBOUND_OPERATIONS: &'static [&'static str] = webhooks::OPERATIONS;
    const RULES: &'static [crate::report::Rule] = report::RULES;
    const CHECK_WEBHOOK: Option<crate::providers::webhooks::Check> = Some(webhooks::check);
    const TEMPLATES: &'static [(&'static str, &'static str)] = &[(
        "weavr/pending",
        include_str!("../../../templates/weavr/pending.hbs"),
    )];
    /// The buyer's update needs a stepped-up token.
    #[cfg(test)]
    const SIGNED_IN_PROBE: (&'static str, &'static str, &'static str, u16) =
        ("PATCH", "/payment-run/v1/buyers", "{}", 200);
    const SIGN_IN: &'static [SignIn] = &[
        SignIn::Header("api-key", "weavr-sandbox-key"),
        SignIn::Token {
            path: "/payment-run/v1/login_with_password",
            body: r#"{"email":"buyer@example.com","password":{"value":"Passw0rd!"}}"#,
            form: false,
            field: "token",
        },
        SignIn::Post("/payment-run/v1/stepup/challenges/otp/SMS", ""),
        SignIn::Post(
            "/payment-run/v1/stepup/challenges/otp/SMS/verify",
            r#"{"verificationCode":"123456"}"#,
        ),
    ];

    type Error = WeavrError;

    fn handle(route: Route, req: &Request, world: &World) -> Result<Response, WeavrError> {
        handlers::handle(route, req, world)
    }

    const IDEMPOTENCY_HEADER: Option<&'static str> = Some("idempotency-ref");

    fn idempotency_in_progress() -> Response {
        WeavrError::conflict("IDEMPOTENT_REQUEST_IN_PROGRESS").into_response()
    }

    /// Every Weavr answer carries a `request-ref`.
    fn decorate(response: &mut Response, world: &World) {
        let reference = world.ids().uuid().simple().to_string();
        if let Ok(value) = HeaderValue::from_str(&reference) {
            response.headers_mut().insert("request-ref", value);
        }
    }

    fn apply_users(scenario: &mut SectionsMut<'_>) {
        config::apply_users(scenario);
    }

    fn own_sms(users: &Users) -> Option<SmsUser> {
        users.weavr.sms
    }

    /// Push notifications waiting on the user's phone.
    fn pending(world: &World) -> serde_json::Value {
        let list = world.stores().weavr.pending_pushes(Ctx::of(world));
        handlers::publish(world);
        serde_json::to_value(list).unwrap_or_default()
    }

    type Control = control::Control;
}

/// Forgets idle tokens and settles push challenges that came due.
pub(crate) fn sweep(world: &World) {
    world.stores().weavr.sweep(Ctx::of(world));
    handlers::publish(world);
}
