//! Money between an individual's own accounts (`POST /v3/transactions/move`)
//! and the bank details that fund an account (`GET /v3/accounts/{id}/bank_details`),
//! as Intergiro's embedded-finance guides give them. Neither needs consent:
//! the SCA guide asks it for external payments, not for moves between own
//! accounts.

use hyper::StatusCode;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use super::config::Account;
use super::error;
use super::handlers::{no_null, Result};
use super::model::{AccountDetails, Counterparty, Transaction};
use super::store::{stamp, Ctx};
use crate::http::{self, Response};
use crate::limits::Capped;
use crate::providers::World;

/// The `request_id`s of moves made: a repeat of one is a 409, as a repeated
/// payment is. At the cap one is forgotten: a move, once made, is finished.
#[derive(Debug, Default)]
pub(crate) struct Moves {
    made: Mutex<Capped<String, ()>>,
}

/// Intergiro's bank details for funding: its pooled SEPA account's holder
/// and address, as its guide shows them.
const BENEFICIARY: &str = "Intergiro Intl AB (publ)";
const DEFAULT_BIC: &str = "FTCSSESSXXX";

fn account<'a>(world: &'a World, id: &str, property: Option<&str>) -> Result<&'a Account> {
    world
        .stores()
        .intergiro
        .fixtures
        .accounts
        .iter()
        .find(|a| a.id.value == id)
        .ok_or_else(|| {
            error::with(
                StatusCode::NOT_FOUND,
                "not found",
                property,
                "No such account",
            )
        })
}

pub(crate) fn transfer(req: &crate::http::Request, world: &World) -> Result<Response> {
    let body: Value = req.json().map_err(error::decode)?;
    let text = |name: &str| {
        body[name]
            .as_str()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| error::invalid(name, &format!("{name} is required")))
    };
    let request_id = text("request_id")?;
    let source = account(world, text("source_account_id")?, Some("source_account_id"))?;
    let target = account(world, text("target_account_id")?, Some("target_account_id"))?;
    if source.id.value == target.id.value {
        return Err(error::invalid(
            "target_account_id",
            "target_account_id is another account than the source",
        ));
    }
    if source.currency != target.currency {
        return Err(error::invalid(
            "target_account_id",
            "a move is between accounts of the same currency",
        ));
    }
    let amount = body["amount"].as_i64().filter(|a| *a > 0).ok_or_else(|| {
        error::invalid("amount", "amount is a positive whole number of minor units")
    })?;
    no_null(&body, "/reference", "reference")?;
    let reference = match &body["reference"] {
        Value::Null => "",
        Value::String(r) if r.chars().count() <= 140 => r,
        _ => {
            return Err(error::invalid(
                "reference",
                "reference is text of at most 140 characters",
            ))
        }
    };
    {
        let moves = &world.stores().intergiro.moves;
        let mut made = moves.made.lock();
        if made.contains_key(request_id) {
            return Err(error::with(
                StatusCode::CONFLICT,
                "duplicate_request",
                Some("request_id"),
                "This request_id was already executed",
            ));
        }
        made.make_room(Ctx::of(world).cap, |_| true)
            .map_err(error::too_many)?;
        made.insert(request_id.to_owned(), ());
    }
    let answer = Transaction {
        id: world.ids().uuid().to_string(),
        kind: "bank-transfer",
        amount,
        currency: &source.currency,
        status: "pending",
        account_id: &source.id.value,
        reference,
        counterparty: Counterparty {
            name: "Own account",
            account_id: Some(&target.id.value),
            account_details: target.iban.as_deref().map(AccountDetails::sepa),
        },
        created_at: stamp(&world.now()),
    };
    Ok(http::json(StatusCode::OK, &answer))
}

#[derive(Serialize)]
struct BankDetails<'a> {
    payment_rail: &'static str,
    details: Sepa<'a>,
    beneficiary: &'static str,
    beneficiary_address: Address,
}

#[derive(Serialize)]
struct Sepa<'a> {
    iban: &'a str,
    bic: &'a str,
}

#[derive(Serialize)]
struct Address {
    street1: &'static str,
    city: &'static str,
    country_code: &'static str,
    post_code: &'static str,
}

/// `GET /v3/accounts/{id}/bank_details`: how to wire money in. An account
/// without an IBAN has none.
pub(crate) fn bank_details(world: &World, id: &str) -> Result<Response> {
    let account = account(world, id, None)?;
    let details: Vec<BankDetails<'_>> = account
        .iban
        .as_deref()
        .map(|iban| BankDetails {
            payment_rail: "sepa",
            details: Sepa {
                iban,
                bic: account.bic.as_deref().unwrap_or(DEFAULT_BIC),
            },
            beneficiary: BENEFICIARY,
            beneficiary_address: Address {
                street1: "Regeringsgatan 59",
                city: "Stockholm",
                country_code: "SE",
                post_code: "111 56",
            },
        })
        .into_iter()
        .collect();
    Ok(http::json(StatusCode::OK, &details))
}
