//! The control API's error envelope, `{"error": {"code", "message",
//! "field"?}}`, shared by the control API's own routes and the routes each
//! provider adds below `/__admin/<provider>/`.

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::http::{self, DecodeError, Response};

/// A control API failure, rendered by [`ControlError::into_response`].
#[derive(Debug)]
pub(crate) struct ControlError {
    status: StatusCode,
    body: Value,
}

impl ControlError {
    pub(crate) fn new(status: StatusCode, code: &str, message: &str) -> Self {
        Self {
            status,
            body: json!({ "error": { "code": code, "message": message } }),
        }
    }

    /// The error object given whole (a scenario's position, say).
    pub(crate) fn with_error(status: StatusCode, error: Value) -> Self {
        Self {
            status,
            body: json!({ "error": error }),
        }
    }

    /// Names the field at fault.
    pub(crate) fn on_field(mut self, field: &str) -> Self {
        self.body["error"]["field"] = json!(field);
        self
    }

    /// 404 `not_found`.
    pub(crate) fn not_found(message: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A body that did not decode, naming the field at fault.
    pub(crate) fn bad_body(e: DecodeError) -> Self {
        let mut error = json!({ "code": "invalid_body", "message": e.describe() });
        if let Some(field) = e.field {
            error["field"] = json!(field);
        }
        Self {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "error": error }),
        }
    }

    /// A query parameter that is not one the endpoint takes.
    pub(crate) fn bad_query(name: &str, message: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "error": { "code": "invalid_query", "message": message, "field": name } }),
        }
    }

    pub(crate) fn into_response(self) -> Response {
        http::json(self.status, &self.body)
    }
}

/// A control API answer, or its failure.
pub(crate) type Reply<T> = Result<T, ControlError>;

/// The control API's error envelope as a response.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    ControlError::new(status, code, message).into_response()
}
