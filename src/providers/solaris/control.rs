//! Solaris' control-API routes below `/__admin/solaris/`, and its dashboard
//! button: virtual devices whose private key the sandbox holds, for teams
//! without a phone.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{Purpose, SignRefusal};
use crate::control::{ControlError, Reply};
use crate::http::{self, Request, Response};
use crate::providers::World;
use crate::providers::{operation_ids, EndUser, RouteMatch, RouteTable};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Control {
    BindDevice,
    Sign { id: String },
}

operation_ids! {
    Control,
    Self::BindDevice => "admin.solaris_device.create",
    Self::Sign { .. } => "admin.solaris_device.sign",
}

impl RouteTable for Control {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        let post = method == Method::POST;
        match segments {
            ["devices"] if post => RouteMatch::Found(Self::BindDevice),
            ["devices"] => RouteMatch::MethodNotAllowed("POST"),
            ["devices", id, "sign"] if post => RouteMatch::Found(Self::Sign {
                id: (*id).to_owned(),
            }),
            ["devices", _, "sign"] => RouteMatch::MethodNotAllowed("POST"),
            _ => RouteMatch::NotFound,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VirtualDevice {
    person_id: String,
    #[serde(default = "restricted")]
    key_purpose: Purpose,
}

fn restricted() -> Purpose {
    Purpose::Restricted
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    string_to_sign: String,
    #[serde(default)]
    key_purpose: Option<Purpose>,
}

impl EndUser for Control {
    const BUTTONS: &'static [&'static str] = &["sign"];

    fn handle(self, req: &Request, world: Arc<World>) -> Reply<Response> {
        let world = &*world;
        match self {
            Control::BindDevice => {
                let body: VirtualDevice = req.json().map_err(ControlError::bad_body)?;
                super::bind_virtual_device(world, &body.person_id, body.key_purpose)
                    .map(|device| http::json(StatusCode::CREATED, &device))
                    .map_err(|e| ControlError::new(e.status, e.code, &e.detail))
            }
            Control::Sign { id } => {
                let body: SignRequest = req.json().map_err(ControlError::bad_body)?;
                super::sign(world, &id, &body.string_to_sign, body.key_purpose)
                    .map(|signature| http::json(StatusCode::OK, &json!({ "signature": signature })))
                    .map_err(|refusal| match refusal {
                        SignRefusal::NoKey => ControlError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "no_such_key",
                            &format!("Virtual device {id} has no key for that purpose"),
                        ),
                        SignRefusal::NoDevice => {
                            ControlError::not_found(&format!("No virtual device {id}"))
                        }
                    })
            }
        }
    }

    /// The dashboard signs a change request with a virtual device and confirms it.
    fn press(world: &World, verb: &str, id: &str, _code: &str) -> Option<Result<String, String>> {
        (verb == "sign").then(|| {
            super::confirm_with_virtual_device(world, id)
                .map(|_| "Signed with the virtual device and confirmed".to_owned())
        })
    }
}
