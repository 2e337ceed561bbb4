//! Sending NotifyInitiateAction to the program manager, as Thredd does: one
//! POST with a Bearer token, a 200 expected, never resent. The attempt gives
//! up when the validation timeout passes (real time or sandbox time, whichever
//! comes first), so a PM that never answers holds up nothing else.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

use super::store::Ctx;
use super::store::Delivery;
use super::THREDD_CLIENT;
use crate::providers::Provider;
use crate::providers::World;

/// The outbound call's operation id, for scenario rules.
pub(crate) const OPERATION: &str = "thredd.notify_initiate_action.send";

pub(crate) async fn deliver(
    world: Arc<World>,
    id: String,
    url: Option<String>,
    body: Value,
    timeout: Duration,
) {
    let delivery = attempt(&*world, &id, url.as_deref(), &body, timeout).await;
    let kind = if delivery.state == "delivered" {
        "thredd.notify_initiate_action.sent"
    } else {
        "thredd.notify_initiate_action.failed"
    };
    world.emit(
        Provider::Thredd,
        kind,
        id.clone(),
        world.now(),
        json!({ "state": delivery.state, "status": delivery.status, "error": delivery.error }),
    );
    world.stores().thredd.record_delivery(&id, delivery);
}

fn failed(state: &'static str, error: impl Into<String>) -> Delivery {
    Delivery {
        state,
        error: Some(error.into()),
        ..Delivery::default()
    }
}

async fn attempt(
    world: &World,
    id: &str,
    url: Option<&str>,
    body: &Value,
    timeout: Duration,
) -> Delivery {
    let Some(url) = url else {
        return failed(
            "not_configured",
            "No notify_initiate_action_url in the scenario or the request",
        );
    };
    let deadline = world
        .stores()
        .thredd
        .deadline(id)
        .unwrap_or_else(|| world.now());
    let payload = body.to_string();
    if let Some(call) = world.scripted_call(OPERATION, url, payload.as_bytes()) {
        if let Some(delay) = call.delay {
            world.clock().sleep(delay).await;
        }
        if call.dropped {
            return failed(
                "dropped_by_scenario",
                format!("scenario rule {} dropped the call", call.label),
            );
        }
        if let Some(status) = call.status {
            return Delivery {
                state: if status == 200 { "delivered" } else { "failed" },
                status: Some(status),
                latency_ms: Some(0.0),
                error: (status != 200)
                    .then(|| format!("scenario rule {} answered {status}", call.label)),
                sent_at: Some(world.now()),
                ..Delivery::default()
            };
        }
    }
    let Some((authority, path)) = split_http_url(url) else {
        return failed(
            "failed",
            "notify_initiate_action_url must be an http:// URL (the sandbox does not speak TLS)",
        );
    };
    let minted = world.stores().thredd.mint(
        Ctx::of(world),
        THREDD_CLIENT,
        vec!["client_validate", "firbiometricapi"],
    );
    let Ok((token, _)) = minted else {
        return failed(
            "failed",
            "the token store is full (settings.limits.live_objects); no token to send",
        );
    };
    let sent_at = world.now();
    let started = Instant::now();
    let limit = world.settings().limits.outbound_answer.get();
    let send = post(&authority, &path, &token, payload, limit);
    let result = tokio::select! {
        result = send => result,
        _ = tokio::time::sleep(timeout) => Err("no answer within the validation timeout".to_owned()),
        _ = world.clock().sleep_until(deadline) => Err("no answer within the validation timeout".to_owned()),
    };
    let latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    match result {
        Ok(200) => Delivery {
            state: "delivered",
            status: Some(200),
            latency_ms,
            sent_at: Some(sent_at),
            ..Delivery::default()
        },
        Ok(status) => Delivery {
            state: "failed",
            status: Some(status),
            latency_ms,
            error: Some(format!("the PM answered {status}, not 200")),
            sent_at: Some(sent_at),
            url: None,
        },
        Err(error) => Delivery {
            state: "failed",
            latency_ms,
            error: Some(error),
            sent_at: Some(sent_at),
            ..Delivery::default()
        },
    }
}

/// `http://host[:port]/path` → (`host:port`, `/path`).
fn split_http_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Some((authority, path.to_owned()))
}

async fn post(
    authority: &str,
    path: &str,
    token: &str,
    body: String,
    limit: usize,
) -> Result<u16, String> {
    let stream = TcpStream::connect(&*loopback_by_name(authority))
        .await
        .map_err(|e| format!("connection failed: {e}"))?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    tokio::spawn(conn);
    let request = hyper::Request::post(path)
        .header("host", authority)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the PM closed the connection: {e}"))?;
    let status = response.status().as_u16();
    // The answer's body is read up to a small bound and no further: a PM
    // that sends without end is cut off (the connection is dropped with
    // the body), not buffered.
    let _ = http_body_util::Limited::new(response.into_body(), limit)
        .collect()
        .await;
    Ok(status)
}

/// `localhost` as `127.0.0.1`, without the resolver: an image built from
/// scratch has no `/etc/hosts` to say so.
fn loopback_by_name(authority: &str) -> std::borrow::Cow<'_, str> {
    match authority.split_once(':') {
        Some((host, port)) if host.eq_ignore_ascii_case("localhost") => {
            format!("127.0.0.1:{port}").into()
        }
        _ => authority.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{loopback_by_name, split_http_url};

    #[test]
    fn localhost_needs_no_resolver() {
        assert_eq!(loopback_by_name("localhost:9000"), "127.0.0.1:9000");
        assert_eq!(loopback_by_name("LocalHost:80"), "127.0.0.1:80");
        assert_eq!(loopback_by_name("pm.example:443"), "pm.example:443");
    }

    #[test]
    fn only_plain_http_urls_are_used() {
        assert_eq!(
            split_http_url("http://127.0.0.1:9000/thredd"),
            Some(("127.0.0.1:9000".into(), "/thredd".into()))
        );
        assert_eq!(
            split_http_url("http://localhost"),
            Some(("localhost:80".into(), "/".into()))
        );
        assert_eq!(split_http_url("https://pm.example.com/x"), None);
        assert_eq!(split_http_url("http://user@host/x"), None);
        assert_eq!(split_http_url("http:///x"), None);
    }
}
