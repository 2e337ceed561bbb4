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
    let (status, error, description) = err.parts();
    oauth_error(status, error, &description)
}
