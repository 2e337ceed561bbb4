//! Shine: action requests that the user confirms in Shine's app, polled by the
//! partner, and single-use short-lived tokens that unlock the action.
//!
//! Imitates <https://developers.shine.fr/docs/strong-customer-authentication>.
//!
//! Fidelity, what is not emulated:
//! - mutual TLS and HTTP-signature checks of the regulated API;
//! - actions other than `bank:transfers:create`;
//! - Shine's error body is unpublished; ours is `{status, code, message, field?}`;
//! - an expired request stays `PENDING`, as Shine's are: a client reads expiry
//!   from `expiresAt` (the control API can still select expired ones).

pub(crate) mod config;
mod control;
mod directory;
mod error;
mod handlers;
mod model;
mod oauth;
mod queries;
mod report;
mod requests;
pub(crate) mod routes;
mod store;

use serde_json::Value;

pub(crate) use config::Decide;
pub(crate) use model::Status;
pub(crate) use store::{DecideError, Store};

use self::error::ShineError;
use self::routes::Route;
use self::store::Ctx;
use crate::http::{Request, Response};
use crate::providers::World;
use crate::providers::{Provider, ProviderApi, SignIn};

/// Marker type through which the router drives Shine.
#[derive(Debug)]
pub(crate) struct Shine;

impl ProviderApi for Shine {
    const PROVIDER: Provider = Provider::Shine;
    /// The API hosts (production and staging) and the mutual-TLS hosts of
    /// the regulated API.
    const HOSTS: &'static [&'static str] = &[
        "api.shine.fr",
        "api.staging.shine.fr",
        "connect.mtls.shine.fr",
        "mtls.connect.staging.shine.fr",
    ];
    /// The regulated API's hosts take mutual TLS (a QWAC, at Shine).
    const MUTUAL_TLS_HOSTS: &'static [&'static str] =
        &["connect.mtls.shine.fr", "mtls.connect.staging.shine.fr"];
    type Route = Route;
    const RULES: &'static [crate::report::Rule] = report::RULES;
    const TEMPLATES: &'static [(&'static str, &'static str)] = &[(
        "shine/pending",
        include_str!("../../../templates/shine/pending.hbs"),
    )];
    /// An unknown transfer, not a missing token.
    #[cfg(test)]
    const SIGNED_IN_PROBE: (&'static str, &'static str, &'static str, u16) =
        ("GET", "/v3/bank/transfers/x1", "", 404);
    const SIGN_IN: &'static [SignIn] = &[SignIn::Bearer("shine-user-1-token")];

    type Error = ShineError;

    fn handle(route: Route, req: &Request, world: &World) -> Result<Response, ShineError> {
        handlers::handle(route, req, world)
    }

    /// Action requests waiting for the user in the app.
    fn pending(world: &World) -> Value {
        let directory = &world.stores().shine.directory;
        let items = Value::Array(
            list(world, Some(Status::Pending))
                .into_iter()
                .map(|mut item| {
                    let summary = control::summary(directory, &item);
                    item["summary"] = serde_json::to_value(summary).unwrap_or_default();
                    item
                })
                .collect(),
        );
        crate::display::add_words(items, "action", |action| match action {
            "bank:transfers:create" => "Bank transfer",
            _ => "Action",
        })
    }

    type Control = control::Control;
}

/// Settles expiries and simulated decisions that have come due.
pub(crate) fn sweep(world: &World) {
    let ctx = Ctx::of(world);
    let mut happened = Vec::new();
    world.stores().shine.sweep(ctx, &mut happened);
    world.stores().shine.oauth.lock().sweep(ctx.now);
    handlers::publish(world, happened);
}

/// The control API confirms or rejects an action request, as the user would in
/// Shine's app.
pub(crate) fn decide(world: &World, id: &str, decision: Decide) -> Result<Value, DecideError> {
    let mut happened = Vec::new();
    let view = world
        .stores()
        .shine
        .decide(Ctx::of(world), id, decision, &mut happened, |view| {
            serde_json::to_value(view).unwrap_or(Value::Null)
        });
    handlers::publish(world, happened);
    view
}

/// Action requests for the control API, optionally of one status.
pub(crate) fn list(world: &World, status: Option<Status>) -> Vec<Value> {
    let mut happened = Vec::new();
    let ctx = Ctx::of(world);
    let listed = world.stores().shine.list(ctx, status, &mut happened);
    handlers::publish(world, happened);
    listed
}
