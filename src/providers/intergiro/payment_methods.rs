//! Payment-method consents and Apple Pay tokenisation, as Intergiro's
//! payment-gateway and cards guides give them. Saving a card (and charging
//! it) starts with a consent answered 200, which the client initiates like
//! any other; once the user approves on the page (the prebuilt checkout),
//! the card is one of the individual's payment methods. Apple Pay
//! tokenisation answers 412 with a pending consent; its `method.token` is
//! what the iOS SDK takes, and once approved the call answers what the SDK's
//! callback reports.

use hyper::StatusCode;
use serde_json::{json, Value};

use super::cards::card_status;
use super::error;
use super::handlers::{guarded, no_null, Result};
use super::publish;
use super::store::{stamp, Ctx, Gate, Guarded, Summary};
use crate::http::{self, Request, Response};
use crate::providers::World;

/// `POST /v3/individuals/{id}/payment_methods {type: "card", charge?}` →
/// 200 `{consent: {id, status}}`.
pub(crate) fn create(req: &Request, world: &World, individual: &str) -> Result<Response> {
    let body: Value = req.json().map_err(error::decode)?;
    if body["type"].as_str() != Some("card") {
        return Err(error::invalid("type", "type is card"));
    }
    no_null(&body, "/charge", "charge")?;
    let store = &world.stores().intergiro;
    let person = store
        .individuals
        .get(individual)
        .ok_or_else(|| error::not_found("No such individual"))?;
    let mut summary = Summary {
        title: "Save your card".to_owned(),
        payee: Some(format!("{} {}", person.first_name, person.last_name)),
        ..Summary::default()
    };
    if let Some(charge) = body.get("charge") {
        let amount = charge["amount"]
            .as_i64()
            .filter(|a| *a > 0)
            .ok_or_else(|| {
                error::invalid(
                    "charge.amount",
                    "charge.amount is a positive whole number of minor units",
                )
            })?;
        let currency = charge["currency"]
            .as_str()
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
            .ok_or_else(|| {
                error::invalid("charge.currency", "charge.currency is an ISO 4217 code")
            })?;
        let account = charge["account_id"].as_str().unwrap_or_default();
        if !store
            .fixtures
            .accounts
            .iter()
            .any(|a| a.id.value == account)
        {
            return Err(error::invalid(
                "charge.account_id",
                "charge.account_id is one of your accounts",
            ));
        }
        summary.title = "Pay with your card".to_owned();
        summary.amount = Some(crate::display::money(amount, 2, currency));
        summary.account = Some(account.to_owned());
    }
    // Each request asks anew: the key is never seen twice.
    let key = format!("payment_method:{individual}:{}", world.ids().uuid());
    let action = Guarded {
        key,
        fingerprint: 0,
        once: false,
        scope: "payment_method",
    };
    let mut events = Vec::new();
    let gate = store.gate(Ctx::of(world), action, || summary, (&mut events, &mut None));
    publish(world, events);
    match gate {
        Gate::Consent(consent) => {
            store.individuals.watch(individual, consent.id.clone());
            let pending = json!({ "consent": { "id": consent.id, "status": consent.status } });
            Ok(http::json(StatusCode::OK, &pending))
        }
        Gate::Full(full) => Err(error::too_many(full)),
        _ => Err(error::with(
            StatusCode::CONFLICT,
            "conflict",
            None,
            "The consent could not be created",
        )),
    }
}

/// `GET /v3/individuals/{id}/payment_methods` → `{data, has_more}`: the
/// cards saved through approved consents.
pub(crate) fn list(world: &World, individual: &str) -> Result<Response> {
    let store = &world.stores().intergiro;
    let watched = store
        .individuals
        .watched(individual)
        .ok_or_else(|| error::not_found("No such individual"))?;
    let mut decided = Vec::new();
    let mut events = Vec::new();
    for id in watched {
        let Some(consent) = store.consent(Ctx::of(world), &id, &mut events) else {
            decided.push((id, None));
            continue;
        };
        match consent.status {
            "approved" => {
                let method = json!({
                    "id": world.ids().uuid().to_string(),
                    "type": "card",
                    "details": { "brand": "mastercard", "exp_month": "03", "exp_year": "30", "last4": "1115" },
                    "created_at": stamp(&world.now()),
                });
                decided.push((id, Some(method)));
            }
            "pending" => {}
            _ => decided.push((id, None)),
        }
    }
    publish(world, events);
    let methods = store
        .individuals
        .settle_methods(individual, &decided)
        .ok_or_else(|| error::not_found("No such individual"))?;
    Ok(http::json(
        StatusCode::OK,
        &json!({ "data": methods, "has_more": false }),
    ))
}

/// `POST /v3/cards/{id}/apple_pay/tokenize`: 412 with a pending consent;
/// once approved, `{status: "approved"}`, what the SDK's callback reports.
pub(crate) fn tokenize(world: &World, card: &str) -> Result<Response> {
    let status = card_status(world, card)?;
    if status != "active" {
        return Err(error::with(
            StatusCode::CONFLICT,
            "conflict",
            None,
            &format!("The card is {status}; only an active card goes into Apple Pay"),
        ));
    }
    let summary = || Summary {
        title: "Add your card to Apple Pay".to_owned(),
        card: Some(super::cards::card_label(card)),
        ..Summary::default()
    };
    guarded(
        world,
        format!("apple_pay:{card}"),
        0,
        false,
        "apple_pay",
        summary,
        || http::json(StatusCode::OK, &json!({ "status": "approved" })),
    )
}
