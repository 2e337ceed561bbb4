//! The rules of Intergiro's SCA (consent) guide that the integration report
//! judges a client by: the guarded action is retried once the user approved,
//! after the client sent the user to the consent's `redirect_url`, and
//! before the consent expired.

use super::error::IntergiroError;
use crate::http::{Request, Response};
use crate::providers::{Provider, World};
use crate::report::{Rule, Severity};

const GUIDE: &str = "Intergiro: Strong Customer Authentication (the Consent API)";
const GUARDED: &[&str] = &[
    "intergiro.transaction.pay",
    "intergiro.card.credentials",
    "intergiro.card.activate",
    "intergiro.account.transactions",
    "intergiro.individual.onboard",
    "intergiro.card.apple_pay_tokenize",
];

pub(crate) const RULES: &[Rule] = &[
    Rule {
        id: "intergiro.consent.retried_while_pending",
        severity: Severity::Warning,
        expects: "The guarded action is retried once the user approved its consent, not while it is pending",
        source: GUIDE,
        operations: GUARDED,
    },
    Rule {
        id: "intergiro.consent.not_initiated",
        severity: Severity::Warning,
        expects: "The client initiates the consent and sends the user to its redirect_url",
        source: GUIDE,
        operations: GUARDED,
    },
    Rule {
        id: "intergiro.consent.expired",
        severity: Severity::Error,
        expects: "The guarded action is retried before its consent expires",
        source: GUIDE,
        operations: GUARDED,
    },
    Rule {
        id: "intergiro.request.invalid",
        severity: Severity::Error,
        expects: "Requests follow Intergiro's API (required properties, formats, no nulls)",
        source: "Intergiro: developer portal (API reference)",
        operations: &[],
    },
];

/// The rule a guarded action's answer broke, set on the answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Broke(pub(crate) &'static str);

fn message(id: &str) -> &'static str {
    match id {
        "intergiro.consent.retried_while_pending" => {
            "retried the guarded action while its consent was still pending"
        }
        "intergiro.consent.not_initiated" => {
            "ran the guarded action with a consent it never initiated (the user was never sent to its redirect_url)"
        }
        "intergiro.consent.expired" => "came back to the guarded action after its consent expired",
        _ => "sent a request Intergiro refuses as invalid (400)",
    }
}

fn record(world: &World, req: &Request, id: &str) {
    if let Some(rule) = RULES.iter().find(|r| r.id == id) {
        world.deviate(
            Provider::Intergiro,
            rule,
            Some(req.id),
            format!("The client {}.", message(id)),
        );
    }
}

/// Records what an answer says the request broke.
pub(crate) fn answered(world: &World, req: &Request, answer: &Result<Response, IntergiroError>) {
    match answer {
        Ok(res) => {
            if let Some(Broke(id)) = res.extensions().get::<Broke>() {
                record(world, req, id);
            }
        }
        Err(error) if error.status == hyper::StatusCode::BAD_REQUEST => {
            record(world, req, "intergiro.request.invalid");
        }
        Err(_) => {}
    }
}
