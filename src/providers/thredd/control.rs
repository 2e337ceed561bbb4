//! Thredd's control-API routes below `/__admin/thredd/`, and its dashboard
//! buttons: the cardholder's purchase, the app, and the fallback OTP.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde::Deserialize;

use super::store::STATUSES;
use super::Purchase;
use crate::control::{ControlError, Reply};
use crate::http::{self, Request, Response};
use crate::providers::World;
use crate::providers::{operation_ids, EndUser, RouteMatch, RouteTable};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Control {
    Start,
    Get { id: String },
    Otp { id: String },
    App { id: String },
}

operation_ids! {
    Control,
    Self::Start => "admin.thredd_authentication.create",
    Self::Get { .. } => "admin.thredd_authentication.get",
    Self::Otp { .. } => "admin.thredd_authentication.otp",
    Self::App { .. } => "admin.thredd_authentication.app",
}

impl RouteTable for Control {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        let (get, post) = (method == Method::GET, method == Method::POST);
        match segments {
            ["authentications"] if post => RouteMatch::Found(Self::Start),
            ["authentications"] => RouteMatch::MethodNotAllowed("POST"),
            ["authentications", id] if get => RouteMatch::Found(Self::Get {
                id: (*id).to_owned(),
            }),
            ["authentications", _] => RouteMatch::MethodNotAllowed("GET"),
            ["authentications", id, "otp"] if post => RouteMatch::Found(Self::Otp {
                id: (*id).to_owned(),
            }),
            ["authentications", _, "otp"] => RouteMatch::MethodNotAllowed("POST"),
            ["authentications", id, "app"] if post => RouteMatch::Found(Self::App {
                id: (*id).to_owned(),
            }),
            ["authentications", _, "app"] => RouteMatch::MethodNotAllowed("POST"),
            _ => RouteMatch::NotFound,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Otp {
    code: String,
}

/// What the cardholder did in the PM's app, as the PM reports it in
/// NotifyValidate's `Status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct App {
    status: String,
}

impl EndUser for Control {
    const BUTTONS: &'static [&'static str] = &["approve", "fail", "otp"];

    fn handle(self, req: &Request, world: Arc<World>) -> Reply<Response> {
        match self {
            // A cardholder's purchase: Thredd sends NotifyInitiateAction.
            Control::Start => {
                let purchase: Purchase = req.json().map_err(ControlError::bad_body)?;
                super::start(world, purchase)
                    .map(|view| http::json(StatusCode::CREATED, &view))
                    .map_err(|(status, code, message)| ControlError::new(status, code, &message))
            }
            Control::Get { id } => super::get(&*world, &id)
                .map(|view| http::json(StatusCode::OK, &view))
                .ok_or_else(|| ControlError::not_found(&format!("No authentication {id}"))),
            // The cardholder types the fallback OTP from the SMS.
            Control::Otp { id } => {
                let body: Otp = req.json().map_err(ControlError::bad_body)?;
                super::enter_otp(&*world, &id, &body.code)
                    .map(|view| http::json(StatusCode::OK, &view))
                    .map_err(otp_refused)
            }
            // The cardholder answers in the PM's app, and the sandbox sends
            // NotifyValidate as the PM would: for tests with no PM of their own.
            Control::App { id } => {
                let body: App = req.json().map_err(ControlError::bad_body)?;
                // NotifyValidate's own list of statuses, as its handler checks them.
                let status = STATUSES
                    .iter()
                    .find(|known| **known == body.status)
                    .copied()
                    .ok_or_else(|| {
                        ControlError::new(
                            StatusCode::BAD_REQUEST,
                            "invalid_body",
                            "status is SUCCESS, STEPUP, FAILURE, FAILWITHFEEDBACK or ERROR",
                        )
                        .on_field("status")
                    })?;
                super::get(&*world, &id)
                    .ok_or_else(|| ControlError::not_found(&format!("No authentication {id}")))?;
                // The session exists: a refusal now means it was already answered
                // or timed out.
                super::play_pm(&*world, &id, status).map_err(|message| {
                    ControlError::new(StatusCode::CONFLICT, "not_awaiting_validation", &message)
                })?;
                super::get(&*world, &id)
                    .map(|view| http::json(StatusCode::OK, &view))
                    .ok_or_else(|| ControlError::not_found(&format!("No authentication {id}")))
            }
        }
    }

    /// The dashboard approves or fails in the app, or types the fallback OTP.
    fn press(world: &World, verb: &str, id: &str, code: &str) -> Option<Result<String, String>> {
        Some(match verb {
            "approve" => {
                super::play_pm(world, id, "SUCCESS").map(|()| "Approved in the app".to_owned())
            }
            "fail" => super::play_pm(world, id, "FAILURE").map(|()| "Failed in the app".to_owned()),
            "otp" => super::enter_otp(world, id, code.trim())
                .map(|view| format!("Code entered: {}", view.state))
                .map_err(|e| format!("The code was not accepted ({e})")),
            _ => return None,
        })
    }
}

fn otp_refused(code: &'static str) -> ControlError {
    let (status, message) = match code {
        "not_found" => (StatusCode::NOT_FOUND, "The OTP was not accepted"),
        "invalid_otp" => (StatusCode::UNPROCESSABLE_ENTITY, "The OTP was not accepted"),
        "otp_attempts_exhausted" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "The OTP was not accepted; that was the third try, and the authentication failed",
        ),
        _ => (StatusCode::CONFLICT, "The OTP was not accepted"),
    };
    ControlError::new(status, code, message)
}
