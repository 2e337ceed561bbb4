//! Intergiro's card and account actions, each behind consent: card
//! credentials, card activation, an account's transactions.

use hyper::StatusCode;

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

fn card_label(id: &str) -> String {
    format!("{} ({id})", crate::display::mask_card(PAN))
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
    let already = world
        .stores()
        .intergiro
        .fixtures
        .cards
        .iter()
        .any(|c| c.id.value == id && c.active);
    if already || world.stores().intergiro.card_active(id) {
        return Err(error::with(
            StatusCode::CONFLICT,
            "conflict",
            None,
            "The card is already active",
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
            world.stores().intergiro.activate_card(id);
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
