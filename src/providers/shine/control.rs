//! Shine's control-API routes below `/__admin/shine/`, and its dashboard
//! buttons: the user in Shine's app.

use std::sync::Arc;

use hyper::{Method, StatusCode};

use super::{Decide, DecideError, Status};
use serde_json::Value;

use crate::control::{ControlError, Reply};
use crate::display::{self, Summary};
use crate::http::{self, Request, Response};
use crate::providers::World;
use crate::providers::{operation_ids, EndUser, RouteMatch, RouteTable};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Control {
    List,
    Decide { id: String, decision: Decide },
}

operation_ids! {
    Control,
    Self::List => "admin.shine_action_request.list",
    Self::Decide { decision: Decide::Confirm, .. } => "admin.shine_action_request.confirm",
    Self::Decide { .. } => "admin.shine_action_request.reject",
}

impl RouteTable for Control {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        match segments {
            ["action_requests"] if method == Method::GET => RouteMatch::Found(Self::List),
            ["action_requests"] => RouteMatch::MethodNotAllowed("GET"),
            ["action_requests", id, verb] => match (decision(verb), method == Method::POST) {
                (Some(decision), true) => RouteMatch::Found(Self::Decide {
                    id: (*id).to_owned(),
                    decision,
                }),
                (Some(_), false) => RouteMatch::MethodNotAllowed("POST"),
                (None, _) => RouteMatch::NotFound,
            },
            _ => RouteMatch::NotFound,
        }
    }
}

fn decision(verb: &str) -> Option<Decide> {
    match verb {
        "confirm" => Some(Decide::Confirm),
        "reject" => Some(Decide::Reject),
        _ => None,
    }
}

impl EndUser for Control {
    const BUTTONS: &'static [&'static str] = &["confirm", "reject"];

    fn handle(self, req: &Request, world: Arc<World>) -> Reply<Response> {
        let world = &*world;
        match self {
            Control::List => list(req, world),
            Control::Decide { id, decision } => match super::decide(world, &id, decision) {
                Ok(view) => Ok(http::json(StatusCode::OK, &view)),
                Err(DecideError::NotFound) => Err(ControlError::not_found(&format!(
                    "No Shine action request {id}"
                ))),
                Err(DecideError::NotPending(Status::Expired)) => Err(ControlError::new(
                    StatusCode::CONFLICT,
                    "not_pending",
                    "The action request expired (see its expiresAt); it can no longer be decided",
                )),
                Err(DecideError::NotPending(status)) => Err(ControlError::new(
                    StatusCode::CONFLICT,
                    "not_pending",
                    &format!(
                        "The action request is {}; only a PENDING request can be decided",
                        status.name()
                    ),
                )),
            },
        }
    }

    /// The dashboard confirms or rejects an action request.
    fn press(world: &World, verb: &str, id: &str, _code: &str) -> Option<Result<String, String>> {
        let decision = decision(verb)?;
        Some(
            super::decide(world, id, decision)
                .map(|_| "Action request decided".to_owned())
                .map_err(|_| "That action request is no longer pending".to_owned()),
        )
    }
}

/// Action requests, optionally of one status.
fn list(req: &Request, world: &World) -> Reply<Response> {
    let status = match req.query_param("status").as_deref() {
        None => None,
        Some("PENDING") => Some(Status::Pending),
        Some("CONFIRMED") => Some(Status::Confirmed),
        Some("REJECTED") => Some(Status::Rejected),
        Some("EXPIRED") => Some(Status::Expired),
        Some(_) => {
            return Err(ControlError::bad_query(
                "status",
                "status is PENDING, CONFIRMED, REJECTED or EXPIRED",
            ))
        }
    };
    Ok(http::json(StatusCode::OK, &super::list(world, status)))
}

/// What an action request asks the user to confirm, for the dashboard: a
/// transfer's amount (Shine counts euros) and its recipient.
pub(crate) fn summary(directory: &super::store::Directory, item: &Value) -> Summary {
    let payload = &item["payload"];
    let recipient = payload["bankTransferRecipientId"]
        .as_str()
        .and_then(|id| directory.recipient(id));
    let transfer = item["action"] == "bank:transfers:create";
    Summary {
        title: if transfer {
            "Transfer".to_owned()
        } else {
            item["action"].as_str().unwrap_or_default().to_owned()
        },
        amount: payload["amount"]
            .as_f64()
            .map(|euros| display::major_money(euros, "EUR")),
        payee: recipient.map(|r| r.name.clone()),
        iban: recipient.map(|r| r.iban.clone()),
        reference: payload["reference"].as_str().map(str::to_owned),
        ..Summary::default()
    }
}
