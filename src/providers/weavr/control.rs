//! Weavr's control-API routes below `/__admin/weavr/`, and its dashboard
//! buttons: the user's phone, which answers push challenges.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::json;

use serde::Serialize;

use super::config::PushChannel;
use super::model::credentials_id;
use super::push::event_name;
use super::sca::{Factor, Outcome, Target};
use super::store::Ctx;
use super::store::Inner;
use crate::control::{ControlError, Reply};
use crate::http::{self, Request, Response};
use crate::providers::World;
use crate::providers::{operation_ids, EndUser, Provider, RouteMatch, RouteTable};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Control {
    List,
    Decide { id: String, outcome: Outcome },
}

operation_ids! {
    Control,
    Self::List => "admin.weavr_push.list",
    Self::Decide { outcome: Outcome::Approved, .. } => "admin.weavr_push.approve",
    Self::Decide { .. } => "admin.weavr_push.reject",
}

impl RouteTable for Control {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        match segments {
            ["push_challenges"] if method == Method::GET => RouteMatch::Found(Self::List),
            ["push_challenges"] => RouteMatch::MethodNotAllowed("GET"),
            ["push_challenges", id, verb] => match (outcome(verb), method == Method::POST) {
                (Some(outcome), true) => RouteMatch::Found(Self::Decide {
                    id: (*id).to_owned(),
                    outcome,
                }),
                (Some(_), false) => RouteMatch::MethodNotAllowed("POST"),
                (None, _) => RouteMatch::NotFound,
            },
            _ => RouteMatch::NotFound,
        }
    }
}

fn outcome(verb: &str) -> Option<Outcome> {
    match verb {
        "approve" => Some(Outcome::Approved),
        "reject" => Some(Outcome::Rejected),
        _ => None,
    }
}

impl EndUser for Control {
    const BUTTONS: &'static [&'static str] = &["approve", "reject"];

    fn handle(self, _req: &Request, world: Arc<World>) -> Reply<Response> {
        let world = &*world;
        match self {
            Control::List => {
                let list = world.stores().weavr.pending_pushes(Ctx::of(world));
                super::handlers::publish(world);
                Ok(http::json(StatusCode::OK, &list))
            }
            Control::Decide { id, outcome } => {
                decide(world, &id, outcome).map_err(|()| {
                    ControlError::not_found(&format!("No pending Weavr push challenge {id}"))
                })?;
                let state = if outcome == Outcome::Approved {
                    "APPROVED"
                } else {
                    "REJECTED"
                };
                Ok(http::json(
                    StatusCode::OK,
                    &json!({ "id": id, "state": state }),
                ))
            }
        }
    }

    /// The dashboard approves or rejects a push.
    fn press(world: &World, verb: &str, id: &str, _code: &str) -> Option<Result<String, String>> {
        let outcome = outcome(verb)?;
        Some(
            decide(world, id, outcome)
                .map(|()| "Push challenge answered".to_owned())
                .map_err(|()| "That push challenge is no longer pending".to_owned()),
        )
    }
}

/// The user answers a push on the phone.
fn decide(world: &World, id: &str, outcome: Outcome) -> Result<(), ()> {
    // Settle what is due first: an expired push can no longer be answered.
    world.stores().weavr.pending_pushes(Ctx::of(world));
    super::handlers::publish(world);
    world
        .stores()
        .weavr
        .settle_push(None, id, outcome, world.now())
        .map_err(|_| ())?;
    super::handlers::publish(world);
    world.emit(
        Provider::Weavr,
        event_name(outcome),
        id.to_owned(),
        world.now(),
        serde_json::Value::Null,
    );
    Ok(())
}

/// A pending push, as the control API and the dashboard list it.
#[derive(Debug, Serialize)]
pub(crate) struct PendingPush {
    pub(crate) id: String,
    pub(crate) credentials_id: String,
    pub(crate) email: String,
    pub(crate) channel: PushChannel,
    /// `stepup`, `sends` or `outgoing_wire_transfers`.
    pub(crate) purpose: &'static str,
    pub(crate) resource_ids: Vec<String>,
    pub(crate) expires_at: String,
}

/// Pending pushes, oldest id first.
pub(crate) fn pending_pushes(inner: &Inner, users: &[super::config::User]) -> Vec<PendingPush> {
    let mut list: Vec<PendingPush> = inner
        .data
        .scas
        .values()
        .filter_map(|s| {
            let Factor::Push {
                channel,
                expires_at,
                ..
            } = &s.factor
            else {
                return None;
            };
            let (purpose, resource_ids) = match &s.target {
                Target::StepUp(_) => ("stepup", Vec::new()),
                Target::Transfers(kind, ids) => (kind.name(), ids.clone()),
            };
            Some(PendingPush {
                id: s.id.clone(),
                credentials_id: credentials_id(s.owner),
                email: users[s.owner].email.value.clone(),
                channel: *channel,
                purpose,
                resource_ids,
                expires_at: crate::timefmt::millis(expires_at),
            })
        })
        .collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list
}
