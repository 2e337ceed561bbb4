//! Thredd: 3DS biometric / in-app authentication. The sandbox plays Thredd
//! (and Cardinal behind it): it sends NotifyInitiateAction to the program
//! manager and waits for NotifyValidate within the validation timeout.
//!
//! Imitates <https://docs.thredd.com/3dsecure/Content/3D_Secure/Using_Biometric_API.htm>.
//!
//! Fidelity, what is not emulated:
//! - TLS and firewall allow-listing: NotifyInitiateAction goes to `http://` URLs;
//! - the issuer's own keys: RS256 tokens (`settings.thredd.signing_alg`) are
//!   signed with the sandbox's published RSA test key, ES256 ones with the
//!   world's P-256 key;
//! - Cardinal's screens: the outcome is shown by the control API.

pub(crate) mod config;
mod control;
mod delegated;
pub(crate) mod delivery;
mod error;
mod handlers;
mod jwt;
mod model;
mod report;
pub(crate) mod routes;
mod store;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use serde_json::{json, Value};

pub(crate) use model::Purchase;
pub(crate) use store::Store;

use self::error::ThreddError;
use self::routes::Route;
use self::store::Ctx;
use crate::http::{Request, Response};
use crate::providers::Users;
use crate::providers::World;
use crate::providers::{Provider, ProviderApi, SignIn};
use crate::terms::SmsUser;

/// The client the sandbox mints its own tokens for, as Thredd.
pub(crate) const THREDD_CLIENT: &str = "thredd";

/// Marker type through which the router drives Thredd.
#[derive(Debug)]
pub(crate) struct Thredd;

impl ProviderApi for Thredd {
    const PROVIDER: Provider = Provider::Thredd;
    /// The oAuth servers (UAT and production) and the NotifyValidate hosts
    /// (UAT and the production regions).
    const HOSTS: &'static [&'static str] = &[
        "oauthuat.globalprocessing.net",
        "p1ists.globalprocessing.net",
        "vcasuat.globalprocessing.net",
        "p0ivcas.globalprocessing.net",
        "p1ivcas.globalprocessing.net",
        "p2ivcas.globalprocessing.net",
    ];
    type Route = Route;
    const TEMPLATES: &'static [(&'static str, &'static str)] = &[(
        "thredd/pending",
        include_str!("../../../templates/thredd/pending.hbs"),
    )];
    const OUTBOUND_OPERATIONS: &'static [&'static str] = &[delivery::OPERATION];
    const RULES: &'static [crate::report::Rule] = report::RULES;
    /// A bad body, not a missing token.
    #[cfg(test)]
    const SIGNED_IN_PROBE: (&'static str, &'static str, &'static str, u16) =
        ("POST", "/api/v1/NotifyValidate", "{}", 400);
    const SIGN_IN: &'static [SignIn] = &[SignIn::Token {
        path: "/connect/token",
        body: "grant_type=client_credentials&client_id=thredd-pm&client_secret=thredd-pm-secret",
        form: true,
        field: "access_token",
    }];

    type Error = ThreddError;

    fn handle(route: Route, req: &Request, world: &World) -> Result<Response, ThreddError> {
        handlers::handle(route, req, world)
    }

    /// Sessions waiting for the program manager or the cardholder.
    fn pending(world: &World) -> Value {
        let open: Vec<model::PendingSession> = world
            .stores()
            .thredd
            .open_sessions(world.now())
            .into_iter()
            .map(|view| model::PendingSession {
                summary: model::summary(&view.notify_initiate_action),
                view,
            })
            .collect();
        let items = serde_json::to_value(open).unwrap_or(Value::Null);
        crate::display::add_words(items, "state", |state| match state {
            "AWAITING_VALIDATION" => "Waiting for the cardholder's app",
            "AWAITING_OTP" => "Waiting for the SMS code",
            _ => "Open",
        })
    }

    fn own_sms(users: &Users) -> Option<SmsUser> {
        users.thredd.sms
    }

    type Control = control::Control;
}

/// Applies the simulated PM's calls that came due, then times out sessions
/// whose validation timeout passed.
pub(crate) fn sweep(world: &World) {
    for (at, id, pubtoken, status) in world.stores().thredd.due_pm_calls(world.now()) {
        // Judged at the instant the PM called, which may be before a long
        // clock advance also passed the validation deadline.
        let ctx = Ctx {
            now: at,
            ..Ctx::of(world)
        };
        if let Ok(done) = world
            .stores()
            .thredd
            .validate(ctx, &id, pubtoken, status, "SANDBOX-PM")
        {
            validated(world, &id, done);
        }
    }
    for id in world.stores().thredd.sweep(world.now()) {
        world.emit(
            Provider::Thredd,
            "thredd.authentication.timed_out",
            id,
            world.now(),
            Value::Null,
        );
    }
}

/// ISO 4217 numeric code and exponent of a currency given as either form.
/// Opens a session and sends NotifyInitiateAction in the background; the
/// answer comes at once, with the delivery still pending.
pub(crate) fn start(
    world: Arc<World>,
    purchase: Purchase,
) -> Result<model::SessionView, (StatusCode, &'static str, String)> {
    let settings = &world.settings().thredd;
    let card = world
        .stores()
        .thredd
        .card(purchase.pubtoken)
        .ok_or((
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No card with Pubtoken {}", purchase.pubtoken),
        ))?
        .clone();
    let (numeric, exponent) = model::currency(&purchase.currency).ok_or((
        StatusCode::BAD_REQUEST,
        "invalid_body",
        "currency: an ISO 4217 code such as EUR or 978".to_owned(),
    ))?;
    let country = match purchase.merchant.country_code.as_deref() {
        None => "826",
        Some(code) => model::country_numeric(code).ok_or((
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "merchant.country_code: an ISO 3166 code, alpha-2 (GB) or numeric (826)".to_owned(),
        ))?,
    };
    let timeout = purchase
        .validation_timeout
        .unwrap_or(settings.validation_timeout);
    if timeout.0.as_secs() > config::MAX_VALIDATION_TIMEOUT || timeout.0.is_zero() {
        return Err((
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "validation_timeout: from 1s to 900s".to_owned(),
        ));
    }
    let url = purchase
        .notify_initiate_action_url
        .or_else(|| settings.notify_initiate_action_url.clone());
    if let Some(url) = &url {
        if crate::providers::webhooks::Endpoint::parse(url).is_none() {
            return Err((
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "notify_initiate_action_url: an http(s) URL, or inbox:<name>".to_owned(),
            ));
        }
    }
    let id = world.ids().uuid().to_string();
    let m = purchase.merchant;
    let message = model::NotifyInitiateAction {
        pubtoken: purchase.pubtoken,
        gps_initiate_action_id: id.clone(),
        message_version_3ds: "2.2.0",
        credential: model::Credential {
            id: format!("{:036}", purchase.pubtoken % 1000),
            kind: card.credential_type.clone(),
            text: "YOUR BANK MOBILE APP",
        },
        channel_created: "GA",
        merchant_info: model::MerchantInfo {
            acquirer_id: m.acquirer_id.unwrap_or_else(|| "5555555".to_owned()),
            merchant_id: m.id.unwrap_or_else(|| "12345678".to_owned()),
            merchant_name: m.name.unwrap_or_else(|| "Sandbox Shop".to_owned()),
            merchant_url: m
                .url
                .unwrap_or_else(|| "https://shop.example.com".to_owned()),
            merchant_category_code: m.category_code,
            merchant_country_code: country,
            merchant_app_redirect_url: m.app_redirect_url,
        },
        transaction_info: model::TransactionInfo {
            transaction_time_stamp: crate::timefmt::millis(&world.now()),
            transaction_amount: purchase.amount,
            transaction_currency: numeric,
            transaction_exponent: exponent,
        },
    };
    // Kept as it was sent: the delivery posts it, the session view shows it.
    let body = serde_json::to_value(&message).unwrap_or_default();
    let view = world
        .stores()
        .thredd
        .open(
            Ctx::of(&*world),
            id.clone(),
            purchase.pubtoken,
            timeout.as_delta(),
            body.clone(),
            url.clone(),
        )
        .map_err(|full| {
            (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_objects",
                full.message(),
            )
        })?;
    world.emit(
        Provider::Thredd,
        "thredd.authentication.started",
        id.clone(),
        world.now(),
        Value::Null,
    );
    match settings_pm(&*world) {
        Some(pm) => {
            // No call goes out; the PM's answer is applied by the sweeper
            // when the sandbox clock reaches it (`ignore` never answers).
            world.stores().thredd.record_delivery(
                &id,
                store::Delivery {
                    state: "simulated",
                    ..store::Delivery::default()
                },
            );
            if let Some(status) = pm.decide.status() {
                world
                    .stores()
                    .thredd
                    .plan_pm(&id, world.now() + pm.after.as_delta(), status);
                sweep(&*world);
            }
        }
        None => {
            delivery::deliver(
                &*world,
                id,
                url,
                body,
                Duration::from_secs(timeout.0.as_secs()),
            );
        }
    }
    Ok(view)
}

/// The scenario's simulated PM, if it plays one.
fn settings_pm(world: &World) -> Option<&config::Pm> {
    world.users().thredd.pm.as_ref()
}

/// Records an accepted NotifyValidate: the timeline, and the fallback SMS
/// of STEPUP.
pub(crate) fn validated(world: &World, id: &str, validated: store::Validated) {
    world.emit(
        Provider::Thredd,
        "thredd.notify_validate.received",
        id.to_owned(),
        world.now(),
        json!({ "status": validated.status }),
    );
    if let Some(sms) = validated.sms {
        delegated::hand_over(world, id, sms);
    }
}

/// The dashboard plays the PM: NotifyValidate with `status`, as if called.
pub(crate) fn play_pm(world: &World, id: &str, status: &'static str) -> Result<(), String> {
    let (view, _) = world
        .stores()
        .thredd
        .session(world.now(), id)
        .ok_or_else(|| format!("No authentication {id}"))?;
    let pubtoken = view.pubtoken;
    let done = world
        .stores()
        .thredd
        .validate(Ctx::of(world), id, pubtoken, status, "SANDBOX-DASHBOARD")
        .map_err(|r| r.message)?;
    validated(world, id, done);
    Ok(())
}

pub(crate) fn get(world: &World, id: &str) -> Option<model::SessionView> {
    let (view, timed_out) = world.stores().thredd.session(world.now(), id)?;
    if timed_out {
        world.emit(
            Provider::Thredd,
            "thredd.authentication.timed_out",
            id.to_owned(),
            world.now(),
            Value::Null,
        );
    }
    Some(view)
}

pub(crate) fn enter_otp(
    world: &World,
    id: &str,
    code: &str,
) -> Result<model::SessionView, &'static str> {
    let entered = world.stores().thredd.enter_otp(id, code);
    // The last wrong try is refused like the others, but it settles the
    // authentication, so the timeline hears of it.
    let state = match &entered {
        Ok(view) => view.state,
        Err("otp_attempts_exhausted") => store::State::FailWithFeedback.name(),
        Err(_) => return entered,
    };
    world.emit(
        Provider::Thredd,
        "thredd.otp.entered",
        id.to_owned(),
        world.now(),
        json!({ "state": state }),
    );
    entered
}
