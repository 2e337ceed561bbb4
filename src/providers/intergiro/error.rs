//! Intergiro's error body. Its v3 reference was out of reach; the merchant API
//! documents `{status, type, ...}` and the 3d guide "a list of errors that
//! describe exactly what was wrong", so: `{status, type, errors:[{property?, message}]}`.

use hyper::StatusCode;
use serde::Serialize;

use crate::http::{self, DecodeError, Response};
use crate::providers::{CommonError, ProviderError};

/// The error body.
#[derive(Debug, Serialize)]
struct Body<'a> {
    status: u16,
    #[serde(rename = "type")]
    kind: &'a str,
    errors: [Detail<'a>; 1],
}

#[derive(Debug, Serialize)]
struct Detail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    property: Option<&'a str>,
    message: &'a str,
}

/// An error Intergiro reports, with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IntergiroError {
    pub(crate) status: StatusCode,
    kind: &'static str,
    property: Option<String>,
    message: String,
}

pub(crate) fn with(
    status: StatusCode,
    kind: &'static str,
    property: Option<&str>,
    message: &str,
) -> IntergiroError {
    IntergiroError {
        status,
        kind,
        property: property.map(str::to_owned),
        message: message.to_owned(),
    }
}

/// A 400 naming the field (`property`) that is wrong.
pub(crate) fn invalid(property: &str, message: &str) -> IntergiroError {
    with(
        StatusCode::BAD_REQUEST,
        "invalid input",
        Some(property),
        message,
    )
}

pub(crate) fn not_found(message: &str) -> IntergiroError {
    with(StatusCode::NOT_FOUND, "not found", None, message)
}

pub(crate) fn unauthorized(message: &str) -> IntergiroError {
    with(StatusCode::UNAUTHORIZED, "unauthorized", None, message)
}

/// A store full of live objects.
pub(crate) fn too_many(full: crate::limits::Full) -> IntergiroError {
    common(CommonError::TooMany(full))
}

pub(crate) fn decode(e: DecodeError) -> IntergiroError {
    with(
        StatusCode::BAD_REQUEST,
        "invalid input",
        e.field.as_deref(),
        &e.message,
    )
}

impl ProviderError for IntergiroError {
    fn into_response(self) -> Response {
        let body = Body {
            status: self.status.as_u16(),
            kind: self.kind,
            errors: [Detail {
                property: self.property.as_deref(),
                message: &self.message,
            }],
        };
        http::json(self.status, &body)
    }
}

impl From<CommonError> for IntergiroError {
    fn from(e: CommonError) -> Self {
        common(e)
    }
}

pub(crate) fn common(e: CommonError) -> IntergiroError {
    let (status, _, message) = e.parts();
    let kind = match status {
        StatusCode::NOT_FOUND => "not found",
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload too large",
        StatusCode::REQUEST_TIMEOUT => "request timeout",
        StatusCode::TOO_MANY_REQUESTS => "too many requests",
        _ => "internal error",
    };
    with(status, kind, None, &message)
}
