//! Intergiro's card and account actions, each behind consent: card
//! credentials, card activation, an account's transactions. Also a card's
//! status, which `PATCH /v3/cards/{id}` freezes, unfreezes or ends, as the
//! cards guide gives it (no consent: the SCA guide asks none for it).

use std::collections::HashMap;

use hyper::StatusCode;
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::error;
use super::handlers::{guarded, Result};
use super::model::{CardActivated, CardCredentials, Transaction};
use super::store::Summary;
use crate::http::{self, Response};
use crate::providers::World;

fn card(world: &World, id: &str) -> Result<()> {
    world
        .stores()
        .intergiro
        .fixtures
        .cards
        .iter()
        .any(|c| c.id.value == id)
        .then_some(())
        .ok_or_else(|| error::with(StatusCode::NOT_FOUND, "not found", None, "No such card"))
}

/// The number every sandbox card has; pages only ever show it masked.
const PAN: &str = "5555341244441115";

pub(super) fn card_label(id: &str) -> String {
    format!("{} ({id})", crate::display::mask_card(PAN))
}

/// A fixture card's status (`not_found` for another).
pub(crate) fn card_status(world: &World, id: &str) -> Result<&'static str> {
    card(world, id)?;
    Ok(world.stores().intergiro.cards.status(id))
}

pub(crate) fn card_credentials(world: &World, id: &str) -> Result<Response> {
    card(world, id)?;
    let summary = || Summary {
        title: "Show card details".to_owned(),
        card: Some(card_label(id)),
        ..Summary::default()
    };
    guarded(
        world,
        format!("credentials:{id}"),
        0,
        false,
        "view_card_credentials",
        summary,
        || {
            http::json(
                StatusCode::OK,
                &CardCredentials {
                    card_id: id,
                    pan: PAN,
                    cvv: "737",
                    expiry_month: 3,
                    expiry_year: 2030,
                    holder: "Sandbox Cardholder",
                },
            )
        },
    )
}

pub(crate) fn activate_card(world: &World, id: &str) -> Result<Response> {
    card(world, id)?;
    let status = world.stores().intergiro.cards.status(id);
    if status != "not_activated" {
        return Err(error::with(
            StatusCode::CONFLICT,
            "conflict",
            None,
            &format!("The card is {status}; only a card not yet activated is activated"),
        ));
    }
    let summary = || Summary {
        title: "Activate card".to_owned(),
        card: Some(card_label(id)),
        ..Summary::default()
    };
    guarded(
        world,
        format!("activate:{id}"),
        0,
        false,
        "activate_card",
        summary,
        || {
            world.stores().intergiro.cards.activate(id);
            http::json(
                StatusCode::OK,
                &CardActivated {
                    id,
                    status: "active",
                },
            )
        },
    )
}

pub(crate) fn account_transactions(world: &World, id: &str) -> Result<Response> {
    if !world
        .stores()
        .intergiro
        .fixtures
        .accounts
        .iter()
        .any(|a| a.id.value == id)
    {
        return Err(error::with(
            StatusCode::NOT_FOUND,
            "not found",
            None,
            "No such account",
        ));
    }
    let summary = || Summary {
        title: "Share payment history".to_owned(),
        account: Some(id.to_owned()),
        ..Summary::default()
    };
    guarded(
        world,
        format!("history:{id}"),
        0,
        false,
        "view_transactions",
        summary,
        // The sandbox books no transactions: the history is always empty.
        || http::json(StatusCode::OK, &Vec::<Transaction<'_>>::new()),
    )
}

/// Statuses that end a card: there is no way back from them.
const TERMINAL: [&str; 3] = ["block", "stolen", "lost"];

/// Each fixture card's status: `not_activated`, `active`, `frozen`, or one
/// of [`TERMINAL`]. Only fixture cards exist, so the map never grows.
#[derive(Debug, Default)]
pub(crate) struct CardStates {
    states: Mutex<HashMap<String, &'static str>>,
}

impl CardStates {
    pub(crate) fn new(cards: &[super::config::Card]) -> Self {
        let states = cards
            .iter()
            .map(|c| {
                let status = if c.active { "active" } else { "not_activated" };
                (c.id.value.clone(), status)
            })
            .collect();
        Self {
            states: Mutex::new(states),
        }
    }

    pub(crate) fn status(&self, card: &str) -> &'static str {
        self.states
            .lock()
            .get(card)
            .copied()
            .unwrap_or("not_activated")
    }

    pub(crate) fn activate(&self, card: &str) {
        if let Some(status) = self.states.lock().get_mut(card) {
            *status = "active";
        }
    }

    /// Moves a card to `to`; `Err` with its status when a terminal status or
    /// an unactivated card stands in the way.
    fn update(&self, card: &str, to: &'static str) -> std::result::Result<(), &'static str> {
        let mut states = self.states.lock();
        let status = states.get_mut(card).ok_or("not_found")?;
        let allowed = *status == to
            || match *status {
                "active" | "frozen" => true,
                "not_activated" => TERMINAL.contains(&to),
                _ => false,
            };
        if !allowed {
            return Err(status);
        }
        *status = to;
        Ok(())
    }
}

/// `PATCH /v3/cards/{id} {status}`: `frozen` and `active` back and forth;
/// `block`, `stolen` and `lost` for good.
pub(crate) fn update_card(req: &crate::http::Request, world: &World, id: &str) -> Result<Response> {
    card(world, id)?;
    let body: Value = req.json().map_err(super::error::decode)?;
    let to = match body["status"].as_str() {
        Some("active") => "active",
        Some("frozen") => "frozen",
        Some("block") => "block",
        Some("stolen") => "stolen",
        Some("lost") => "lost",
        _ => {
            return Err(error::with(
                StatusCode::BAD_REQUEST,
                "invalid input",
                Some("status"),
                "status is active, frozen, block, stolen or lost",
            ))
        }
    };
    world
        .stores()
        .intergiro
        .cards
        .update(id, to)
        .map_err(|status| {
            error::with(
                StatusCode::CONFLICT,
                "conflict",
                Some("status"),
                &format!("The card is {status}; it cannot become {to}"),
            )
        })?;
    super::publish(world, vec![("card.updated", id.to_owned())]);
    let account = world
        .stores()
        .intergiro
        .fixtures
        .cards
        .iter()
        .find(|c| c.id.value == id)
        .and_then(|c| c.account_id.clone());
    Ok(http::json(
        StatusCode::OK,
        &json!({ "id": id, "status": to, "account_id": account }),
    ))
}
