//! The rules of Shine's SCA flow that the integration report judges a
//! client by: poll at a reasonable interval and stop at a final state; a
//! short-lived token is used once, within its minute, for the payload the
//! user confirmed; a transfer starts from a confirmed action request.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::error::ShineError;
use crate::http::Request;
use crate::providers::{Provider, World};
use crate::report::{Rule, Severity};

const FLOW: &str = "Shine: Strong Customer Authentication Flow";
const POLL: &[&str] = &["shine.action_request.poll"];
const TRANSFER: &[&str] = &["shine.transfer.create"];

pub(crate) const RULES: &[Rule] = &[
    Rule {
        id: "shine.poll.too_fast",
        severity: Severity::Warning,
        expects: "An action request is polled at a reasonable interval (1 s by default)",
        source: FLOW,
        operations: POLL,
    },
    Rule {
        id: "shine.poll.after_final",
        severity: Severity::Warning,
        expects: "Polling stops once the action request is confirmed, rejected or expired",
        source: FLOW,
        operations: POLL,
    },
    Rule {
        id: "shine.token.reused",
        severity: Severity::Error,
        expects: "A short-lived token is used once",
        source: FLOW,
        operations: TRANSFER,
    },
    Rule {
        id: "shine.token.expired",
        severity: Severity::Error,
        expects: "A short-lived token is used within the minute it lives",
        source: FLOW,
        operations: TRANSFER,
    },
    Rule {
        id: "shine.token.mismatch",
        severity: Severity::Error,
        expects: "A short-lived token is used for the payload the user confirmed, by its user",
        source: FLOW,
        operations: TRANSFER,
    },
    Rule {
        id: "shine.transfer.without_action_request",
        severity: Severity::Error,
        expects: "A transfer is created with the short-lived token of a confirmed action request",
        source: FLOW,
        operations: TRANSFER,
    },
    Rule {
        id: "shine.request.invalid",
        severity: Severity::Error,
        expects: "Requests follow Shine's reference (required fields, types)",
        source: "Shine: API reference",
        operations: &[],
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// When an action request was last polled, on both clocks, and whether a
/// poll already told its final state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Polled {
    pub(crate) at: DateTime<Utc>,
    pub(crate) instant: Instant,
    pub(crate) told_final: bool,
}

impl Polled {
    /// Notes a poll at `at` (`over`: it tells a final state); the poll
    /// before it, if any.
    pub(crate) fn note(
        slot: &mut Option<Box<Polled>>,
        at: DateTime<Utc>,
        over: bool,
    ) -> Option<Self> {
        let now = Self {
            at,
            instant: Instant::now(),
            told_final: over,
        };
        match slot {
            Some(last) => Some(std::mem::replace(&mut **last, now)),
            None => {
                *slot = Some(Box::new(now));
                None
            }
        }
    }
}

/// What one poll broke: too soon after the last (by both the sandbox clock
/// and real time), or after the final state was already told.
pub(crate) fn poll_rules(world: &World, req: &Request, last: Option<Polled>) {
    let Some(last) = last else { return };
    if last.told_final {
        world.deviate(
            Provider::Shine,
            rule("shine.poll.after_final"),
            Some(req.id),
            "The client polled an action request after a poll had told its final state.".to_owned(),
        );
        return;
    }
    let interval = world
        .settings()
        .report
        .poll_interval
        .map_or(std::time::Duration::from_secs(1), |d| d.0);
    let sandbox = (world.now() - last.at).to_std().unwrap_or_default();
    if sandbox < interval && last.instant.elapsed() < interval {
        world.deviate(
            Provider::Shine,
            rule("shine.poll.too_fast"),
            Some(req.id),
            format!(
                "The client polled an action request again after {} ms, under the {} ms interval.",
                sandbox.max(last.instant.elapsed()).as_millis(),
                interval.as_millis()
            ),
        );
    }
}

/// Records the rule a refused request broke, if it broke one.
pub(crate) fn refused(world: &World, req: &Request, error: &ShineError) {
    let (id, message) = match error.code {
        "short_lived_token_used" => (
            "shine.token.reused",
            "used a short-lived token a second time",
        ),
        "short_lived_token_expired" => (
            "shine.token.expired",
            "used a short-lived token after its minute",
        ),
        "short_lived_token_mismatch" => (
            "shine.token.mismatch",
            "used a short-lived token for a payload or user other than the one confirmed",
        ),
        "sca_required" | "invalid_short_lived_token" => (
            "shine.transfer.without_action_request",
            "created a transfer without the short-lived token of a confirmed action request",
        ),
        "validation_error" => (
            "shine.request.invalid",
            "sent a request Shine refuses as invalid (400)",
        ),
        _ => return,
    };
    world.deviate(
        Provider::Shine,
        rule(id),
        Some(req.id),
        format!("The client {message}."),
    );
}
