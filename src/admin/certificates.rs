//! The certificates of HTTPS: the CA for clients to trust, and client
//! certificates for the provider hosts that ask for mutual TLS.

use hyper::StatusCode;
use serde_json::json;

use super::Cx;
use crate::control::{ControlError, Reply};
use crate::http::{self, Request, Response};

/// The CA that signs the HTTPS certificates, for clients to trust.
pub(super) fn ca(cx: &Cx<'_>) -> Reply<Response> {
    let tls = cx.sandbox.tls().ok_or_else(tls_off)?;
    Ok(http::with_type(
        StatusCode::OK,
        tls.ca_pem.clone().into(),
        "application/x-pem-file",
    ))
}

/// A client certificate (and its key) the HTTPS server accepts where a
/// provider asks for mutual TLS.
pub(super) fn client(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Ask {
        #[serde(default)]
        name: Option<String>,
    }
    let ask: Ask = if req.body_is_empty() {
        Ask { name: None }
    } else {
        req.json().map_err(ControlError::bad_body)?
    };
    let name = ask.name.unwrap_or_else(|| "sca-sandbox client".to_owned());
    if name.is_empty()
        || name.len() > 64
        || !name.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(ControlError::new(
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "name is 1 to 64 printable ASCII characters",
        )
        .on_field("name"));
    }
    let tls = cx.sandbox.tls().ok_or_else(tls_off)?;
    let (certificate, private_key) = tls.client_certificate(&name).map_err(|e| {
        ControlError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "tls_error",
            &e.to_string(),
        )
    })?;
    Ok(http::json(
        StatusCode::CREATED,
        &json!({ "certificate": certificate, "private_key": private_key, "ca": tls.ca_pem }),
    ))
}

fn tls_off() -> ControlError {
    ControlError::new(
        StatusCode::NOT_FOUND,
        "tls_off",
        "HTTPS is off: start the sandbox with --tls",
    )
}
