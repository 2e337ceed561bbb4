//! The OpenAPI description (`openapi.yaml` at the top of the repository),
//! embedded in the binary and served as JSON at `/__admin/openapi.json`.
//!
//! The YAML is converted on the first request, not at start-up: start-up time
//! is a figure users watch, and most runs never ask for the document.

use std::sync::OnceLock;

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::Value;

use crate::http::{self, Response};

const SOURCE: &str = include_str!("../../openapi.yaml");

/// The description as a JSON value.
pub(crate) fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        // The file is part of the build and a unit test parses it, so a
        // failure here cannot reach a user.
        serde_saphyr::from_str(SOURCE).expect("openapi.yaml is valid YAML")
    })
}

/// `GET /__admin/openapi.json`.
pub(crate) fn serve() -> Response {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    let body = JSON.get_or_init(|| Bytes::from(serde_json::to_vec(document()).unwrap_or_default()));
    http::with_type(StatusCode::OK, body.clone(), "application/json")
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
