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

/// `GET /__admin/openapi.json`, whose `servers` is the scheme and host the
/// request came on, so a client generated from it calls this sandbox
/// however it is reached (another port, a host name, HTTPS).
pub(crate) fn serve(tls: bool, host: Option<&str>) -> Response {
    static JSON: OnceLock<(Bytes, usize, usize)> = OnceLock::new();
    let (body, start, end) = JSON.get_or_init(|| {
        let mut document = document().clone();
        document["servers"] = serde_json::json!([{ "url": SERVER_MARK }]);
        let bytes = serde_json::to_vec(&document).unwrap_or_default();
        let mark = format!("\"{SERVER_MARK}\"");
        let start = bytes
            .windows(mark.len())
            .position(|w| w == mark.as_bytes())
            .unwrap_or(0);
        (Bytes::from(bytes), start, start + mark.len())
    });
    let url = serde_json::to_vec(&crate::origin::origin(tls, host)).unwrap_or_default();
    let mut out = Vec::with_capacity(body.len() + url.len());
    out.extend_from_slice(&body[..*start]);
    out.extend_from_slice(&url);
    out.extend_from_slice(&body[*end..]);
    http::with_type(StatusCode::OK, out.into(), "application/json")
}

/// Where the request's server URL goes in the served document.
const SERVER_MARK: &str = "sca-sandbox-server-url";

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
