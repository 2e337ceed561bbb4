//! The control API's provider endpoints: playing the end user (Shine's app,
//! Intergiro's page, a Thredd cardholder) and Solaris' virtual devices.

use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{bad_body, bad_query, AdminError, Cx, Reply};
use crate::http::{self, Request, Response};
use crate::providers::{intergiro, shine, solaris, thredd};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VirtualDevice {
    person_id: String,
    #[serde(default = "restricted")]
    key_purpose: solaris::Purpose,
}

pub(super) fn restricted() -> solaris::Purpose {
    solaris::Purpose::Restricted
}

/// Binds a device whose private key the sandbox holds, for teams without a phone.
pub(super) fn solaris_bind(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let body: VirtualDevice = req.json().map_err(bad_body)?;
    let world = cx.tenant.world();
    solaris::bind_virtual_device(&world, &body.person_id, body.key_purpose)
        .map(|device| http::json(StatusCode::CREATED, &device))
        .map_err(|detail| AdminError::new(StatusCode::NOT_FOUND, "not_found", &detail))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    string_to_sign: String,
    #[serde(default)]
    key_purpose: Option<solaris::Purpose>,
}

/// Signs as a virtual device: hex DER ECDSA P-256 over SHA-256.
pub(super) fn solaris_sign(req: &Request, cx: &Cx<'_>, id: &str) -> Reply<Response> {
    let body: SignRequest = req.json().map_err(bad_body)?;
    let world = cx.tenant.world();
    solaris::sign(&world, id, &body.string_to_sign, body.key_purpose)
        .map(|signature| http::json(StatusCode::OK, &json!({ "signature": signature })))
        .map_err(|refusal| match refusal {
            solaris::SignRefusal::NoKey => AdminError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_such_key",
                &format!("Virtual device {id} has no key for that purpose"),
            ),
            solaris::SignRefusal::NoDevice => AdminError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("No virtual device {id}"),
            ),
        })
}

/// Plays a cardholder's purchase: Thredd sends NotifyInitiateAction.
pub(super) fn thredd_start(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let purchase: thredd::Purchase = req.json().map_err(bad_body)?;
    thredd::start(cx.tenant.world(), purchase)
        .map(|view| http::json(StatusCode::CREATED, &view))
        .map_err(|(status, code, message)| AdminError::new(status, code, &message))
}

pub(super) fn thredd_get(cx: &Cx<'_>, id: &str) -> Reply<Response> {
    thredd::get(&cx.tenant.world(), id)
        .map(|view| http::json(StatusCode::OK, &view))
        .ok_or_else(|| {
            AdminError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("No authentication {id}"),
            )
        })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Otp {
    code: String,
}

/// Plays the cardholder typing the fallback OTP from the SMS.
pub(super) fn thredd_otp(req: &Request, cx: &Cx<'_>, id: &str) -> Reply<Response> {
    let body: Otp = req.json().map_err(bad_body)?;
    thredd::enter_otp(&cx.tenant.world(), id, &body.code)
        .map(|view| http::json(StatusCode::OK, &view))
        .map_err(|code| {
            let (status, message) = match code {
                "not_found" => (StatusCode::NOT_FOUND, "The OTP was not accepted"),
                "invalid_otp" => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The OTP was not accepted",
                ),
                "otp_attempts_exhausted" => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The OTP was not accepted; that was the third try, and the authentication failed",
                ),
                _ => (StatusCode::CONFLICT, "The OTP was not accepted"),
            };
            AdminError::new(status, code, message)
        })
}

pub(super) fn shine_list(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let status = match req.query_param("status").as_deref() {
        None => None,
        Some("PENDING") => Some(shine::Status::Pending),
        Some("CONFIRMED") => Some(shine::Status::Confirmed),
        Some("REJECTED") => Some(shine::Status::Rejected),
        Some("EXPIRED") => Some(shine::Status::Expired),
        Some(_) => {
            return Err(bad_query(
                "status",
                "status is PENDING, CONFIRMED, REJECTED or EXPIRED",
            ))
        }
    };
    let world = cx.tenant.world();
    Ok(http::json(StatusCode::OK, &shine::list(&world, status)))
}

pub(super) fn shine_decide(cx: &Cx<'_>, id: &str, decision: shine::Decide) -> Reply<Response> {
    let world = cx.tenant.world();
    match shine::decide(&world, id, decision) {
        Ok(view) => Ok(http::json(StatusCode::OK, &view)),
        Err(shine::DecideError::NotFound) => Err(AdminError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No Shine action request {id}"),
        )),
        Err(shine::DecideError::NotPending(status)) => Err(AdminError::new(
            StatusCode::CONFLICT,
            "not_pending",
            &format!(
                "The action request is {}; only a PENDING request can be decided",
                status.name()
            ),
        )),
    }
}

/// Plays the user on Intergiro's consent page.
pub(super) fn intergiro_decide(cx: &Cx<'_>, id: &str, approve: bool) -> Reply<Response> {
    match intergiro::decide(&cx.tenant.world(), id, approve) {
        Ok(view) => Ok(http::json(StatusCode::OK, &view)),
        Err(None) => Err(AdminError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("No Intergiro consent {id}"),
        )),
        Err(Some(status)) => Err(AdminError::new(
            StatusCode::CONFLICT,
            "not_pending",
            &format!("The consent is {status}; only a pending consent can be decided"),
        )),
    }
}
