//! Thredd's error bodies: RFC 6749's `{error, error_description}` for the
//! oAuth endpoints and everything routed, as Thredd's IdentityServer answers.
//! NotifyValidate answers its own way: the echo with `Error` filled in.

use hyper::StatusCode;
use serde_json::json;

use crate::http::{self, Response};
use crate::providers::CommonError;

pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    http::json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

pub(crate) fn common(err: CommonError) -> Response {
    let (status, error, description) = match err {
        CommonError::NotFound => (
            StatusCode::NOT_FOUND,
            "not_found",
            "No such endpoint".to_owned(),
        ),
        CommonError::MethodNotAllowed { allow } => (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("This endpoint accepts {allow}"),
        ),
        CommonError::PayloadTooLarge { limit } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("Request body exceeds {limit} bytes"),
        ),
        CommonError::Internal(message) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
        }
    };
    oauth_error(status, error, &description)
}
