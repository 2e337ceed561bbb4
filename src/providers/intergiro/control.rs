//! Intergiro's control-API routes below `/__admin/intergiro/`, and its
//! dashboard button: the user on the consent page.

use std::sync::Arc;

use hyper::{Method, StatusCode};

use crate::control::{ControlError, Reply};
use crate::http::{self, Request, Response};
use crate::providers::World;
use crate::providers::{operation_ids, EndUser, RouteMatch, RouteTable};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Control {
    Decide {
        id: String,
        approve: bool,
    },
    /// Intergiro's review of an individual's onboarding data
    /// (`settings.intergiro.onboarding_review: manual`).
    Review {
        id: String,
        activate: bool,
    },
}

operation_ids! {
    Control,
    Self::Decide { approve: true, .. } => "admin.intergiro_consent.approve",
    Self::Decide { approve: false, .. } => "admin.intergiro_consent.decline",
    Self::Review { activate: true, .. } => "admin.intergiro_individual.activate",
    Self::Review { activate: false, .. } => "admin.intergiro_individual.block",
}

impl RouteTable for Control {
    fn parse(method: &Method, segments: &[&str]) -> RouteMatch<Self> {
        match segments {
            ["consents", id, verb @ ("approve" | "decline")] if method == Method::POST => {
                RouteMatch::Found(Self::Decide {
                    id: (*id).to_owned(),
                    approve: *verb == "approve",
                })
            }
            ["consents", _, "approve" | "decline"] => RouteMatch::MethodNotAllowed("POST"),
            ["individuals", id, verb @ ("activate" | "block")] if method == Method::POST => {
                RouteMatch::Found(Self::Review {
                    id: (*id).to_owned(),
                    activate: *verb == "activate",
                })
            }
            ["individuals", _, "activate" | "block"] => RouteMatch::MethodNotAllowed("POST"),
            _ => RouteMatch::NotFound,
        }
    }
}

impl EndUser for Control {
    const BUTTONS: &'static [&'static str] = &["decline"];

    /// Plays the user on the consent page.
    fn handle(self, _req: &Request, world: Arc<World>) -> Reply<Response> {
        let world = &*world;
        let (id, approve) = match self {
            Control::Decide { id, approve } => (id, approve),
            Control::Review { id, activate } => return review(world, &id, activate),
        };
        match super::decide(world, &id, approve) {
            Ok(view) => Ok(http::json(StatusCode::OK, &view)),
            Err(None) => Err(ControlError::not_found(&format!(
                "No Intergiro consent {id}"
            ))),
            Err(Some(status)) => Err(ControlError::new(
                StatusCode::CONFLICT,
                "not_pending",
                &format!("The consent is {status}; only a pending consent can be decided"),
            )),
        }
    }

    /// The dashboard declines a consent (approving is done on its page).
    fn press(world: &World, verb: &str, id: &str, _code: &str) -> Option<Result<String, String>> {
        (verb == "decline").then(|| {
            super::decide(world, id, false)
                .map(|_| "Consent declined".to_owned())
                .map_err(|_| "That consent is no longer pending".to_owned())
        })
    }
}

/// Activates or blocks an individual whose onboarding data awaits review.
fn review(world: &World, id: &str, activate: bool) -> Reply<Response> {
    match world.stores().intergiro.individuals.review(id, activate) {
        Ok(individual) => {
            let kind = if activate {
                "individual.activated"
            } else {
                "individual.blocked"
            };
            super::publish(world, vec![(kind, id.to_owned())]);
            Ok(http::json(StatusCode::OK, &individual))
        }
        Err(None) => Err(ControlError::not_found(&format!(
            "No Intergiro individual {id}"
        ))),
        Err(Some(status)) => Err(ControlError::new(
            StatusCode::CONFLICT,
            "not_reviewable",
            &format!("The individual is {status}; only onboarding_data_provided awaits review"),
        )),
    }
}
