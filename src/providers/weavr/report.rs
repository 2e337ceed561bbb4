//! The rules of Weavr's step-up guide and Multi description that the
//! integration report judges a client by, and where a refused request
//! breaks one.

use super::error::WeavrError;
use crate::http::Request;
use crate::providers::{Provider, World};
use crate::report::{Rule, Severity};

const GUIDE: &str = "Weavr: Step-Up Authentication (1.1 Retry a challenge)";

const ISSUE: &[&str] = &[
    "weavr.stepup.issue",
    "weavr.multi_stepup.issue",
    "weavr.multi_challenge_otp.issue",
];

pub(crate) const RULES: &[Rule] = &[
    Rule {
        id: "weavr.stepup.retry_within_15s",
        severity: Severity::Error,
        expects: "A new step-up SMS is asked for 15 s or more after the last one",
        source: GUIDE,
        operations: ISSUE,
    },
    Rule {
        id: "weavr.stepup.second_retry",
        severity: Severity::Error,
        expects: "One retry per login: a second one needs a logout and a new login",
        source: GUIDE,
        operations: ISSUE,
    },
    Rule {
        id: "weavr.token.step_up_missing",
        severity: Severity::Error,
        expects: "Calls that need a stepped-up token are made after the step-up",
        source: "Weavr: Step-Up Authentication; Multi description (403 STEP_UP_REQUIRED)",
        operations: &[
            "weavr.multi_managed_account.list",
            "weavr.multi_send.get",
            "weavr.multi_owt.get",
            "weavr.user.create",
            "weavr.buyer.update",
        ],
    },
    Rule {
        id: "weavr.token.expired",
        severity: Severity::Error,
        expects: "A token idle for 5 minutes is dead: log in again before using it",
        source: "Weavr: Step-Up Authentication (the token expires after 5 minutes of inactivity)",
        operations: &[
            "weavr.multi_managed_account.list",
            "weavr.multi_send.create",
        ],
    },
    Rule {
        id: "weavr.request.invalid",
        severity: Severity::Error,
        expects: "Requests follow the description's schema (required fields, types, patterns)",
        source: "Weavr Multi and Payment Run descriptions",
        operations: &[],
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// Records the rule a refused request broke, if it broke one.
pub(crate) fn refused(world: &World, req: &Request, error: &WeavrError) {
    let operation = req.id.1;
    let issue = ISSUE.contains(&operation);
    let (id, message) = match (error, error.error_code()) {
        (_, Some("RETRY_IN_15SEC")) => (
            "weavr.stepup.retry_within_15s",
            "asked for a new step-up SMS within 15 s of the last one (409 RETRY_IN_15SEC)",
        ),
        (_, Some("CHALLENGE_LIMIT_EXCEEDED" | "INVALID_REQUEST")) if issue => (
            "weavr.stepup.second_retry",
            "asked for a second retry of the step-up SMS without logging in again",
        ),
        (_, Some("STEP_UP_REQUIRED")) => (
            "weavr.token.step_up_missing",
            "called an operation that needs a stepped-up token with one not stepped up (403 STEP_UP_REQUIRED)",
        ),
        (WeavrError::Expired, _) => (
            "weavr.token.expired",
            "used a token after it idled for 5 minutes (401)",
        ),
        (WeavrError::Syntax { .. }, _) => (
            "weavr.request.invalid",
            "sent a request its description refuses (400 with invalid fields)",
        ),
        _ => return,
    };
    world.deviate(
        Provider::Weavr,
        rule(id),
        Some(req.id),
        format!("The client {message}."),
    );
}
