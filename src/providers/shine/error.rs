//! Shine's error envelope.
//!
//! Shine does not publish its error body; its demo partner app reads
//! `error.body.message` and `error.status`. We answer
//! `{"status", "code", "message", "field"?}`: the two fields clients are known to
//! read, plus a stable `code` for tests and the offending `field` where there is one.

use hyper::StatusCode;
use serde::Serialize;

use crate::http::{self, DecodeError, Response};
use crate::providers::{CommonError, ProviderError};

pub(crate) const INVALID_CLIENT: &str = "Invalid client_id or client_secret";
pub(crate) const INVALID_ACCESS_TOKEN: &str = "Missing, invalid or expired access token";
pub(crate) const SLT_MISSING: &str =
    "This action requires strong customer authentication: send the short-lived-token of a confirmed action request";
pub(crate) const SLT_INVALID: &str = "Unknown short-lived token";
pub(crate) const SLT_USED: &str = "This short-lived token has already been used";
pub(crate) const SLT_EXPIRED: &str = "This short-lived token has expired";
pub(crate) const SLT_MISMATCH: &str =
    "This short-lived token was issued for another action, user or payload";

/// An error Shine reports, with the HTTP status it travels with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShineError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) field: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ShineError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub(crate) fn on_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub(crate) fn invalid_client() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", INVALID_CLIENT)
    }

    pub(crate) fn invalid_access_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_access_token",
            INVALID_ACCESS_TOKEN,
        )
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub(crate) fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_error", message).on_field(field)
    }

    /// The store is full of live objects.
    pub(crate) fn too_many(full: crate::limits::Full) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            full.message(),
        )
    }

    pub(crate) fn forbidden(code: &'static str, message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
}

impl ProviderError for ShineError {
    fn into_response(self) -> Response {
        http::json(
            self.status,
            &Envelope {
                status: self.status.as_u16(),
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        )
    }
}

impl From<DecodeError> for ShineError {
    fn from(e: DecodeError) -> Self {
        let err = Self::new(StatusCode::BAD_REQUEST, "validation_error", e.describe());
        match e.field {
            Some(field) => err.on_field(field),
            None => err,
        }
    }
}

impl From<CommonError> for ShineError {
    fn from(e: CommonError) -> Self {
        let (status, code, message) = e.parts();
        Self::new(status, code, message)
    }
}
