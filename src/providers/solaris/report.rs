//! The rules of Solaris' SCA and device-binding guides that the integration
//! report judges a client by: a change request is confirmed while it is
//! open (not expired, not failed by a wrong TAN, not done already), data
//! changes and transactions are signed with the restricted key, and a person
//! binds no more devices than allowed.

use super::error::SolarisError;
use crate::http::Request;
use crate::providers::{Provider, World};
use crate::report::{Rule, Severity};

const SCA: &str = "Solaris: Strong Customer Authentication guide (change requests)";
const CHANGE: &[&str] = &[
    "solaris.change_request.authorize",
    "solaris.change_request.confirm",
];

pub(crate) const RULES: &[Rule] = &[
    Rule {
        id: "solaris.change_request.expired",
        severity: Severity::Error,
        expects: "A change request is authorized and confirmed within its 5 minutes",
        source: SCA,
        operations: CHANGE,
    },
    Rule {
        id: "solaris.change_request.failed",
        severity: Severity::Error,
        expects: "A change request a wrong TAN or signature failed is not confirmed again: a new one is made",
        source: SCA,
        operations: CHANGE,
    },
    Rule {
        id: "solaris.change_request.completed",
        severity: Severity::Warning,
        expects: "A completed change request is not confirmed again",
        source: SCA,
        operations: CHANGE,
    },
    Rule {
        id: "solaris.device.wrong_key_purpose",
        severity: Severity::Error,
        expects: "Data changes and transactions are signed with the device's restricted key",
        source: "Solaris: Strong Customer Authentication guide (use cases and key types)",
        operations: CHANGE,
    },
    Rule {
        id: "solaris.device.too_many",
        severity: Severity::Error,
        expects: "A person binds no more devices than allowed",
        source: "Solaris: Device binding guide",
        operations: &["solaris.device.create", "solaris.signature_challenge.verify"],
    },
    Rule {
        id: "solaris.request.invalid",
        severity: Severity::Error,
        expects: "Requests follow Solaris' API reference (required fields, types)",
        source: "Solaris: API reference",
        operations: &[],
    },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// Records the rule a refused request broke, if it broke one.
pub(crate) fn refused(world: &World, req: &Request, error: &SolarisError) {
    let (id, message) = match (error.code, error.detail.as_str()) {
        ("unprocessable_entity", "The change request has expired") => (
            "solaris.change_request.expired",
            "authorized or confirmed a change request after it expired",
        ),
        ("unprocessable_entity", "The change request has failed") => (
            "solaris.change_request.failed",
            "confirmed a change request that a wrong TAN or signature had failed",
        ),
        ("unprocessable_entity", "The change request is already completed") => (
            "solaris.change_request.completed",
            "confirmed a change request that was already completed",
        ),
        ("validation_error", detail) if detail.contains("restricted key") => (
            "solaris.device.wrong_key_purpose",
            "authorized a data change or transaction with a device that has no restricted key",
        ),
        ("device_limit_reached", _) => (
            "solaris.device.too_many",
            "bound more devices to a person than allowed",
        ),
        ("validation_error", _) => (
            "solaris.request.invalid",
            "sent a request Solaris refuses as invalid (400)",
        ),
        _ => return,
    };
    world.deviate(
        Provider::Solaris,
        rule(id),
        Some(req.id),
        format!("The client {message}."),
    );
}
