//! Intergiro: actions answer 412 with a pending consent; the consent is
//! initiated; the user approves on a hosted page and is sent back.
//!
//! Imitates <https://developer.intergiro.com/3d/getting-started/sca.html>.
//!
//! Fidelity, what is not emulated:
//! - the mobile SDKs (the page is the web approach);
//! - KYC itself (onboarding's form stands for it), and the SDKs' card and
//!   Apple Pay screens (the consent page stands for them);
//! - Intergiro's exact error body (its v3 reference was out of reach).

mod cards;
pub(crate) mod config;
mod consent;
mod control;
mod error;
mod handlers;
mod individuals;
mod model;
mod moves;
mod onboarding;
mod page;
mod payment_methods;
mod report;
pub(crate) mod routes;
mod store;
mod webhooks;

use serde_json::Value;

pub(crate) use store::Store;

use self::error::IntergiroError;
use self::routes::Route;
use self::store::Ctx;
use crate::http::{Request, Response};
use crate::providers::World;
use crate::providers::{Provider, ProviderApi, SignIn};

/// Marker type through which the router drives Intergiro.
#[derive(Debug)]
pub(crate) struct Intergiro;

impl ProviderApi for Intergiro {
    const PROVIDER: Provider = Provider::Intergiro;
    /// The v3 API's live and staging hosts, and the hosted consent page's.
    const HOSTS: &'static [&'static str] = &[
        "3d.intergiro.com",
        "3d.staging.intergiro.tech",
        "integrate.intergiro.com",
    ];
    type Route = Route;
    const OUTBOUND_OPERATIONS: &'static [&'static str] = webhooks::OPERATIONS;
    const RULES: &'static [crate::report::Rule] = report::RULES;
    const TEMPLATES: &'static [(&'static str, &'static str)] = &[
        (
            "intergiro/consent",
            include_str!("../../../templates/intergiro/consent.hbs"),
        ),
        (
            "intergiro/message",
            include_str!("../../../templates/intergiro/message.hbs"),
        ),
        (
            "intergiro/style",
            include_str!("../../../templates/intergiro/style.hbs"),
        ),
        (
            "intergiro/onboarding",
            include_str!("../../../templates/intergiro/onboarding.hbs"),
        ),
        (
            "intergiro/pending",
            include_str!("../../../templates/intergiro/pending.hbs"),
        ),
    ];
    /// An unknown consent, not a missing token.
    #[cfg(test)]
    const SIGNED_IN_PROBE: (&'static str, &'static str, &'static str, u16) =
        ("GET", "/v3/consents/x1", "", 404);
    const SIGN_IN: &'static [SignIn] = &[SignIn::Token {
        path: "/v3/auth/login",
        body: r#"{"api_key":"intergiro-sandbox-key"}"#,
        form: false,
        field: "access_token",
    }];

    type Error = IntergiroError;

    fn handle(route: Route, req: &Request, world: &World) -> Result<Response, IntergiroError> {
        handlers::handle(route, req, world)
    }

    /// Consents waiting on their page.
    fn pending(world: &World) -> Value {
        let items = serde_json::to_value(
            world
                .stores()
                .intergiro
                .pending(world.now(), world.base_path()),
        )
        .unwrap_or(Value::Null);
        crate::display::add_words(items, "scope", |scope| match scope {
            "make_payment" => "Payment",
            "view_transactions" => "Transaction history",
            "view_card_credentials" => "Card details",
            "activate_card" => "Card activation",
            "onboarding" => "Onboarding",
            "payment_method" => "Saving a card",
            "apple_pay" => "Apple Pay",
            _ => "Consent",
        })
    }

    type Control = control::Control;
}

pub(crate) fn publish(world: &World, events: Vec<(&'static str, String)>) {
    for (kind, id) in events {
        webhooks::notify(world, kind, &id);
        world.emit(Provider::Intergiro, kind, id, world.now(), Value::Null);
    }
}

/// Expiries and the simulated user's decisions.
pub(crate) fn sweep(world: &World) {
    let events = world.stores().intergiro.sweep(Ctx::of(world));
    publish(world, events);
}

/// The control API plays the user on the consent page: the consent, or the
/// consent's state when it can no longer be decided (`None`: no such consent).
pub(crate) fn decide(
    world: &World,
    id: &str,
    approve: bool,
) -> Result<Option<model::ConsentView>, Option<&'static str>> {
    let (_, kind) = world
        .stores()
        .intergiro
        .decide(Ctx::of(world), id, None, approve)
        .map_err(|status| status.map(store::Status::name))?;
    publish(world, vec![(kind, id.to_owned())]);
    let mut events = Vec::new();
    Ok(world
        .stores()
        .intergiro
        .consent(Ctx::of(world), id, &mut events))
}
