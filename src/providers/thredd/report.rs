//! The rules of Thredd's Biometric/In-App Authentication API that the
//! integration report judges a program manager by: NotifyInitiateAction is
//! answered 200 within 5 s; NotifyValidate comes once, within the
//! validation timeout, for the session's own GPSInitiateActionID and
//! Pubtoken; STEPUP is used only for a card with a fallback.

use super::model::Refusal;
use super::store::Validated;
use crate::http::Request;
use crate::providers::{Provider, World};
use crate::report::{Rule, Severity};

const API: &str = "Thredd: Using the Biometric/In-App Authentication API";
const VALIDATE: &[&str] = &["thredd.notify_validate.create"];

pub(crate) const RULES: &[Rule] = &[
    Rule {
        id: "thredd.notify_initiate_action.not_answered",
        severity: Severity::Error,
        expects: "NotifyInitiateAction is answered 200 within 5 s: Thredd does not resend it",
        source: "Thredd: Using the Biometric/In-App Authentication API (NotifyInitiateAction)",
        operations: &["thredd.notify_initiate_action.send"],
    },
    Rule {
        id: "thredd.notify_validate.late",
        severity: Severity::Error,
        expects: "NotifyValidate arrives within the validation timeout",
        source: "Thredd: Using the Biometric/In-App Authentication API (Validation Timeout)",
        operations: VALIDATE,
    },
    Rule {
        id: "thredd.notify_validate.repeated",
        severity: Severity::Error,
        expects: "NotifyValidate is sent once per session",
        source: API,
        operations: VALIDATE,
    },
    Rule {
        id: "thredd.notify_validate.mismatch",
        severity: Severity::Error,
        expects: "NotifyValidate names the session's own GPSInitiateActionID and Pubtoken",
        source: API,
        operations: VALIDATE,
    },
    Rule {
        id: "thredd.stepup.no_fallback",
        severity: Severity::Error,
        expects: "STEPUP is answered only for cards enrolled with a fallback such as OTP SMS",
        source: "Thredd: Using the Biometric/In-App Authentication API (STEPUP)",
        operations: VALIDATE,
    },
    Rule {
        id: "thredd.request.invalid",
        severity: Severity::Error,
        expects: "NotifyValidate follows the API's fields and formats",
        source: API,
        operations: &[],
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// A NotifyValidate refused: the rule it broke.
pub(crate) fn refused(world: &World, req: &Request, refusal: &Refusal) {
    let (id, message) = match refusal.description {
        "Session timed out" => (
            "thredd.notify_validate.late",
            "sent NotifyValidate after the validation timeout",
        ),
        "Duplicate NotifyValidate" => (
            "thredd.notify_validate.repeated",
            "sent NotifyValidate a second time for one session",
        ),
        "Invalid GPSInitiateActionID" => (
            "thredd.notify_validate.mismatch",
            "sent NotifyValidate with a GPSInitiateActionID or Pubtoken of no session",
        ),
        "Invalid request" | "Invalid JSON" => (
            "thredd.request.invalid",
            "sent a NotifyValidate Thredd refuses as invalid",
        ),
        _ => return,
    };
    world.deviate(
        Provider::Thredd,
        rule(id),
        Some(req.id),
        format!("The program manager {message}."),
    );
}

/// A NotifyValidate accepted: STEPUP for a card without a fallback fails
/// the authentication.
pub(crate) fn validated(world: &World, req: &Request, validated: &Validated) {
    if validated.status == "STEPUP" && validated.sms.is_none() {
        world.deviate(
            Provider::Thredd,
            rule("thredd.stepup.no_fallback"),
            Some(req.id),
            "The program manager answered STEPUP for a card with no fallback: the authentication failed.".to_owned(),
        );
    }
}

/// NotifyInitiateAction got no 200 in time.
pub(crate) fn not_answered(world: &World, error: &str) {
    world.deviate(
        Provider::Thredd,
        rule("thredd.notify_initiate_action.not_answered"),
        Some((0, super::delivery::OPERATION)),
        format!("The program manager did not answer NotifyInitiateAction 200 in time: {error}."),
    );
}
