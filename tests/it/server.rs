//! The HTTP surface shared by every provider: routing, limits, decoding errors,
//! keep-alive and graceful shutdown.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestSandbox;

#[tokio::test]
async fn an_unknown_path_gets_the_providers_not_found_envelope() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox.get("/shine/v2/authentication/oauth2/nothing").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.body,
        json!({"status": 404, "code": "not_found", "message": "No such endpoint",
            "helpUrl": "https://developers.shine.fr/reference/errors"})
    );
    let outside = sandbox.get("/nowhere").await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    assert_eq!(outside.body["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_known_path_with_the_wrong_method_is_405_with_allow() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox
        .request(
            Method::DELETE,
            "/shine/v2/authentication/oauth2/action_request",
        )
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "POST");
    assert_eq!(answer.body["code"], "method_not_allowed");
    let admin = sandbox.request(Method::DELETE, "/__admin/clock").await;
    assert_eq!(admin.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(admin.headers["allow"], "GET, POST");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_in_the_providers_envelope() {
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().body_limit(1024)).await;
    let big = "x".repeat(4096);
    let path = sandbox.url("/shine/v2/authentication/oauth2/action_request");
    // Declared with Content-Length.
    let declared = sandbox
        .send(sandbox.http.post(&path).body(big.clone()))
        .await;
    assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(declared.body["code"], "payload_too_large");
    assert_eq!(declared.body["status"], 413);
    // Streamed in chunks, with no length declared.
    let mut request = String::from(
        "POST /shine/v2/authentication/oauth2/action_request HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    );
    for _ in 0..8 {
        request.push_str(&format!("200\r\n{}\r\n", "x".repeat(512)));
    }
    request.push_str("0\r\n\r\n");
    let answer = raw_exchange(sandbox.server.addr(), request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    // A declared length over the limit is refused before any of the body is
    // sent: the client is not made to upload what will be thrown away.
    let head = "POST /shine/v2/authentication/oauth2/action_request HTTP/1.1\r\nhost: localhost\r\ncontent-length: 999999\r\n\r\n";
    let answer = raw_exchange(sandbox.server.addr(), head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // The server is still fine afterwards.
    assert_eq!(sandbox.get("/__admin/health").await.status, StatusCode::OK);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_400_naming_the_field() {
    let sandbox = TestSandbox::start().await;
    let path = sandbox.url("/shine/v2/authentication/oauth2/action_request");
    let malformed = sandbox
        .send(sandbox.http.post(&path).body("{\"action\": "))
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["code"], "validation_error");
    let empty = sandbox.send(sandbox.http.post(&path)).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body["message"]
        .as_str()
        .unwrap()
        .contains("body is required"));
    let wrong = sandbox
        .post(
            "/shine/v2/authentication/oauth2/action_request",
            json!({"action": ["x"]}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.body["field"], "action");
    let admin = sandbox.post("/__admin/clock", json!({"advance": 5})).await;
    assert_eq!(admin.status, StatusCode::BAD_REQUEST);
    assert_eq!(admin.body["error"]["field"], "advance");
    let unknown = sandbox
        .post("/__admin/clock", json!({"advanc": "5s"}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn one_keep_alive_connection_serves_many_requests() {
    let sandbox = TestSandbox::start().await;
    let mut request = Vec::new();
    for _ in 0..3 {
        request.extend_from_slice(b"GET /__admin/health HTTP/1.1\r\nhost: localhost\r\n\r\n");
    }
    request.extend_from_slice(
        b"GET /__admin/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
    );
    let answer = raw_exchange(sandbox.server.addr(), &request).await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 4, "{answer}");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_stops_accepting() {
    let sandbox = TestSandbox::with(
        "rules:\n  - when: { operation: shine.action_request.create }\n    delay: 1h\n",
    )
    .await;
    let addr = sandbox.server.addr();
    let in_flight = tokio::spawn({
        let req = sandbox.http.post(sandbox.url("/shine/v2/authentication/oauth2/action_request"))
            .json(&json!({"action": "bank:transfers:create", "client_id": "shine-client",
                "client_secret": "shine-secret", "uid": "user-1", "payload": crate::support::transfer_body()}));
        async move { req.send().await }
    });
    wait_until_in_flight(&sandbox, 1).await;
    let TestSandbox { server, .. } = sandbox;
    server.shutdown().await;
    let answer = in_flight
        .await
        .unwrap()
        .expect("the in-flight request got an answer");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting"
    );
}

/// Waits until `n` provider requests are being handled, asking the control
/// API rather than sleeping.
pub(crate) async fn wait_until_in_flight(sandbox: &TestSandbox, n: u64) {
    for _ in 0..10_000 {
        if sandbox.get("/__admin/stats").await.body["in_flight"] == n {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never saw {n} requests in flight");
}

/// Writes `request` on a fresh connection and reads until the server closes it
/// (or 5 s pass), returning what came back.
pub(crate) async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut out),
    )
    .await;
    String::from_utf8_lossy(&out).into_owned()
}
