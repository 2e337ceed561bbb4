//! Shine's error envelope.
//!
//! Shine's reference (Errors) gives the body of every failure: `status`,
//! `code`, `message` and `helpUrl`, and lists its `AUTHORIZATION_*` codes,
//! which the OAuth and client checks answer. We add the offending `field`
//! where there is one. Where the reference lists no code (validation, SCA,
//! a full store), the code is ours, in lower case.

use hyper::StatusCode;
use serde::Serialize;

use crate::http::{self, DecodeError, Response};
use crate::providers::{CommonError, ProviderError};

pub(crate) const CLIENT_NOT_FOUND: &str = "No client has this client_id";
pub(crate) const CLIENT_SECRET_MISMATCH: &str = "client_secret is not this client's secret";
pub(crate) const MISSING_ACCESS_TOKEN: &str =
    "An access token is required: Authorization: Bearer <token>";
pub(crate) const INVALID_ACCESS_TOKEN: &str = "Unknown, revoked or expired access token";
/// Where every error body points for more about it: the reference's page.
pub(crate) const HELP_URL: &str = "https://developers.shine.fr/reference/errors";
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
    #[serde(rename = "helpUrl")]
    help_url: &'static str,
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

    pub(crate) fn client_not_found() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTHORIZATION_CLIENT_NOT_FOUND",
            CLIENT_NOT_FOUND,
        )
        .on_field("client_id")
    }

    pub(crate) fn client_secret_mismatch() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTHORIZATION_CLIENT_SECRET_DOES_NOT_MATCH",
            CLIENT_SECRET_MISMATCH,
        )
        .on_field("client_secret")
    }

    pub(crate) fn missing_access_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTHORIZATION_MISSING_ACCESS_TOKEN",
            MISSING_ACCESS_TOKEN,
        )
    }

    pub(crate) fn invalid_access_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTHORIZATION_INVALID_ACCESS_TOKEN",
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
                help_url: HELP_URL,
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
