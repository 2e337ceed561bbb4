//! The script language over HTTP: conditions on body and headers, `times`,
//! templated answers, and the `reset` and `slow_body` faults.

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestSandbox, SHINE_CLIENT};

const CREATE: &str = "/shine/v2/authentication/oauth2/action_request";

fn create_body(amount: u64) -> serde_json::Value {
    json!({
        "action": "bank:transfers:create",
        "client_id": SHINE_CLIENT.0,
        "client_secret": SHINE_CLIENT.1,
        "uid": "user-1",
        "payload": { "amount": amount, "bankTransferRecipientId": "recipient-1", "uid": "user-1" },
    })
}

#[tokio::test]
async fn body_and_header_conditions_pick_the_requests_a_rule_answers() {
    let sandbox = TestSandbox::with(
        "rules:\n  - name: too-big\n    when:\n      operation: shine.action_request.create\n      body: { /payload/amount: { gt: 1000 } }\n    respond: { status: 422, body: { message: too big } }\n  - name: by-header\n    when:\n      operation: shine.action_request.create\n      headers: { X-Test-Case: outage }\n    respond: { status: 503 }\n",
    )
    .await;
    let big = sandbox.post(CREATE, create_body(5000)).await;
    assert_eq!(big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(big.body["message"], "too big");
    assert_eq!(
        sandbox.post(CREATE, create_body(50)).await.status,
        StatusCode::OK
    );
    let outage = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url(CREATE))
                .header("x-test-case", "outage")
                .json(&create_body(50)),
        )
        .await;
    assert_eq!(outage.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn times_makes_a_rule_apply_to_the_first_requests_only() {
    let sandbox = TestSandbox::with(
        "rules:\n  - when: { operation: shine.action_request.create, times: 2 }\n    respond: { status: 503 }\n",
    )
    .await;
    let statuses: Vec<u16> = statuses(&sandbox, 5).await;
    assert_eq!(statuses, vec![503, 503, 200, 200, 200]);
}

async fn statuses(sandbox: &TestSandbox, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(sandbox.post(CREATE, create_body(1)).await.status.as_u16());
    }
    out
}

#[tokio::test]
async fn a_respond_body_quotes_the_request() {
    let sandbox = TestSandbox::with(
        "seed: 3\nrules:\n  - when: { operation: shine.action_request.create }\n    respond:\n      status: 201\n      body:\n        uid: \"{{body.uid}}\"\n        amount: \"{{body.payload.amount}}\"\n        text: \"{{body.payload.amount}} for {{header.x-who}} at {{path}}\"\n        missing: \"{{body.nope}}\"\n        id: \"{{uuid}}\"\n        at: \"{{now}}\"\n",
    )
    .await;
    let answer = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url(CREATE))
                .header("x-who", "<erika>")
                .json(&create_body(42)),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let body = &answer.body;
    assert_eq!(body["uid"], "user-1");
    assert_eq!(body["amount"], 42, "a lone placeholder keeps its JSON type");
    assert_eq!(
        body["text"],
        "42 for <erika> at /v2/authentication/oauth2/action_request"
    );
    assert_eq!(body["missing"], serde_json::Value::Null);
    assert_eq!(body["id"].as_str().unwrap().len(), 36);
    let now = sandbox.get("/__admin/clock").await.body["now"].clone();
    assert_eq!(body["at"], now);
}

#[tokio::test]
async fn reset_aborts_the_connection() {
    let sandbox = TestSandbox::with(
        "rules:\n  - when: { operation: shine.action_request.create }\n    fault: reset\n",
    )
    .await;
    let mut stream = raw_create(&sandbox).await;
    let mut out = Vec::new();
    let err = stream.read_to_end(&mut out).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    assert!(out.is_empty());
    let journal = sandbox
        .get("/__admin/journal?operation=shine.action_request.create")
        .await;
    assert_eq!(journal.body[0]["rule"], "#0");
}

#[tokio::test]
async fn slow_body_sends_a_chunk_each_time_the_clock_moves_on() {
    let sandbox = TestSandbox::with(
        "rules:\n  - when: { operation: shine.action_request.create }\n    respond: { status: 200, body: { m: \"0123456789012345678\" } }\n    fault: { slow_body: { chunk: 10, every: 1s } }\n",
    )
    .await;
    let mut stream = raw_create(&sandbox).await;
    let whole = r#"{"m":"0123456789012345678"}"#;
    let mut seen = Vec::new();
    for (step, expected) in [10, 20, whole.len()].into_iter().enumerate() {
        if step > 0 {
            sandbox.advance("1s").await;
        }
        let got = read_body_until(&mut stream, &mut seen, expected).await;
        assert_eq!(got, &whole[..expected], "after {step} advances");
    }
    let head = String::from_utf8_lossy(&seen);
    assert!(
        head.contains(&format!("content-length: {}", whole.len())),
        "{head}"
    );
}

/// Sends an action-request create on a fresh connection and leaves the
/// answer to be read.
async fn raw_create(sandbox: &TestSandbox) -> tokio::net::TcpStream {
    let body = create_body(1).to_string();
    let request = format!(
        "POST {CREATE} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(sandbox.server.addr())
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

/// Reads until the body (after the head) is `len` bytes long; the clock is
/// frozen, so no more can arrive until the test advances it.
async fn read_body_until(
    stream: &mut tokio::net::TcpStream,
    seen: &mut Vec<u8>,
    len: usize,
) -> String {
    loop {
        let text = String::from_utf8_lossy(seen).into_owned();
        if let Some(i) = text.find("\r\n\r\n") {
            let body = &text[i + 4..];
            assert!(body.len() <= len, "more than {len} bytes: {body}");
            if body.len() == len {
                return body.to_owned();
            }
        }
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the next chunk comes")
            .unwrap();
        assert!(n > 0, "closed early");
        seen.extend_from_slice(&buf[..n]);
    }
}
