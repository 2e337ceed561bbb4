//! The read operations around a transfer: `GET /v3/bank/transfers/query`
//! and the recipients' `query` and `get`. Shine pages them with cursors
//! (`first`, and `after` a cursor); each answer is one page of edges.

use hyper::StatusCode;
use serde::Serialize;

use super::error::ShineError;
use super::model::Envelope;
use crate::http::{self, Request, Response};
use crate::providers::World;

type Result<T> = std::result::Result<T, ShineError>;

/// The longest page, and the page when `first` is not given.
const MAX_FIRST: usize = 100;
const DEFAULT_FIRST: usize = 20;

/// One page: the items after the cursor, with where the page ends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    edges: Vec<Edge<T>>,
    page_info: PageInfo,
    total_count: usize,
}

#[derive(Debug, Serialize)]
struct Edge<T> {
    cursor: String,
    node: T,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

/// `first` (1 to 100) and `after` (a cursor of the list, else 400).
fn page<T>(req: &Request, items: Vec<(String, T)>) -> Result<Connection<T>> {
    let first = match req.query_param("first") {
        None => DEFAULT_FIRST,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_FIRST).contains(n))
            .ok_or_else(|| {
                ShineError::validation("first", "first is a whole number from 1 to 100")
            })?,
    };
    let total_count = items.len();
    let start = match req.query_param("after") {
        None => 0,
        Some(after) => {
            items
                .iter()
                .position(|(cursor, _)| *cursor == after)
                .ok_or_else(|| {
                    ShineError::validation("after", "after is not a cursor of this list")
                })?
                + 1
        }
    };
    let rest = items.into_iter().skip(start);
    let edges: Vec<Edge<T>> = rest
        .take(first)
        .map(|(cursor, node)| Edge { cursor, node })
        .collect();
    Ok(Connection {
        page_info: PageInfo {
            has_next_page: start + edges.len() < total_count,
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
        total_count,
    })
}

/// An amount bound: a number, else 400 on the parameter.
fn bound(req: &Request, name: &str) -> Result<Option<f64>> {
    req.query_param(name)
        .map(|raw| {
            raw.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| ShineError::validation(name, format!("{name} is a number")))
        })
        .transpose()
}

/// The user's transfers, newest first, filtered by recipient, status and
/// amount (`min`, `max`).
pub(crate) fn transfers(req: &Request, world: &World, uid: &str) -> Result<Response> {
    if req.query_param("uid").is_some_and(|u| u != uid) {
        return Err(ShineError::forbidden(
            "forbidden",
            "The access token does not belong to this uid",
        ));
    }
    let recipient = req.query_param("bankTransferRecipientId");
    let status = req.query_param("status");
    let (min, max) = (bound(req, "min")?, bound(req, "max")?);
    let items = world
        .stores()
        .shine
        .transfers_of(uid)
        .into_iter()
        .filter(|t| {
            recipient
                .as_deref()
                .is_none_or(|r| t.bank_transfer_recipient_id == r)
        })
        .filter(|t| status.as_deref().is_none_or(|s| t.status == s))
        .filter(|t| {
            let amount = t.amount.as_f64().unwrap_or_default();
            min.is_none_or(|m| amount >= m) && max.is_none_or(|m| amount <= m)
        })
        .map(|t| (t.bank_transfer_id.to_string(), t))
        .collect();
    Ok(http::json(
        StatusCode::OK,
        &Envelope::new(page(req, items)?),
    ))
}

/// The recipients, filtered by `name` (a part of it, any case) and
/// `usableForSct`.
pub(crate) fn recipients(req: &Request, world: &World) -> Result<Response> {
    let name = req.query_param("name").map(|n| n.to_lowercase());
    let usable = match req.query_param("usableForSct").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(ShineError::validation(
                "usableForSct",
                "usableForSct is true or false",
            ))
        }
    };
    let items = world
        .stores()
        .shine
        .directory
        .recipients()
        .iter()
        .filter(|r| {
            name.as_deref()
                .is_none_or(|n| r.name.to_lowercase().contains(n))
        })
        .filter(|r| usable.is_none_or(|u| r.usable_for_sct == u))
        .map(|r| (r.bank_transfer_recipient_id.clone(), r.clone()))
        .collect();
    Ok(http::json(
        StatusCode::OK,
        &Envelope::new(page(req, items)?),
    ))
}
