//! What an outside attack broke or weakened, each held here: bindings that
//! claimed one activation code many times or passed the device limit, an
//! outbound answer buffered without end, weak admin tokens, rule answers
//! that amplify or run as pages on the sandbox's origin.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::solaris::TestDevice;
use crate::support::TestSandbox;

/// Registers `n` devices for person-1 and returns each one's key and
/// signature challenge; `activation` registers them with the person's
/// activation code instead of an SMS.
async fn register(
    sandbox: &TestSandbox,
    token: &str,
    n: u8,
    activation: bool,
) -> Vec<(TestDevice, String)> {
    let mut out = Vec::new();
    for seed in 0..n {
        let device = TestDevice::new(100 + seed);
        let mut body = json!({"person_id": "person-1", "key": device.public_hex(),
            "key_type": "ecdsa-p256", "name": format!("Phone {seed}")});
        if activation {
            body["challenge_type"] = json!("activation_code");
        }
        let registered = sandbox
            .solaris(Method::POST, "/v1/mfa/devices", token, Some(body))
            .await;
        assert_eq!(
            registered.status,
            StatusCode::ACCEPTED,
            "{}",
            registered.body
        );
        let challenge = registered.body["challenge"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        out.push((device, challenge));
    }
    out
}

/// Person-1's bound devices, as Solaris lists them.
async fn bound_devices(sandbox: &TestSandbox, token: &str) -> crate::support::Answer {
    sandbox
        .solaris(
            Method::GET,
            "/v1/mfa/devices?person_id=person-1",
            token,
            None,
        )
        .await
}

fn count(statuses: &[StatusCode], wanted: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == wanted).count()
}

async fn sign(
    sandbox: &TestSandbox,
    token: &str,
    challenge: &str,
    device: &TestDevice,
    text: &str,
) -> StatusCode {
    sandbox
        .solaris(
            Method::PUT,
            &format!("/v1/mfa/challenges/signatures/{challenge}"),
            token,
            Some(json!({ "signature": device.sign(text) })),
        )
        .await
        .status
}

#[tokio::test]
async fn one_activation_code_binds_one_device_however_many_were_registered_with_it() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let code = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/activation",
            &token,
            Some(json!({ "person_id": "person-1" })),
        )
        .await;
    let (id, text) = (
        code.body["id"].as_str().unwrap(),
        code.body["code"].as_str().unwrap(),
    );
    let devices = register(&sandbox, &token, 6, true).await;
    // All at once: the code is claimed under one lock, by one of them.
    let statuses = futures_join(
        devices
            .iter()
            .map(|(device, challenge)| sign(&sandbox, &token, challenge, device, text)),
    )
    .await;
    assert_eq!(count(&statuses, StatusCode::NO_CONTENT), 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::NO_CONTENT || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "the others are told the code is gone: {statuses:?}"
    );
    let used = sandbox
        .solaris(
            Method::GET,
            &format!("/v1/mfa/challenges/activation/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(used.body["usage_count"], 1);
    assert_eq!(used.body["max_usage_count"], 1);
    let listed = bound_devices(&sandbox, &token).await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.body
    );
}

#[tokio::test]
async fn the_device_limit_holds_when_bindings_complete() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    // Five is Solaris' default limit; eight wait for their signature.
    let devices = register(&sandbox, &token, 8, false).await;
    let codes = sandbox.get("/__admin/sms?to=%2B15550101").await.body;
    let codes: Vec<String> = codes
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap().to_owned())
        .collect();
    let statuses = futures_join(
        devices
            .iter()
            .zip(&codes)
            .map(|((device, challenge), code)| sign(&sandbox, &token, challenge, device, code)),
    )
    .await;
    assert_eq!(count(&statuses, StatusCode::NO_CONTENT), 5, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::CONFLICT), 3, "{statuses:?}");
    let listed = bound_devices(&sandbox, &token).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(5));
    // A removed device frees its place for a waiting binding.
    let first = listed.body[0]["id"].as_str().unwrap();
    let deleted = sandbox
        .solaris(
            Method::DELETE,
            &format!("/v1/mfa/devices/{first}"),
            &token,
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let waiting = statuses
        .iter()
        .position(|s| *s == StatusCode::CONFLICT)
        .unwrap();
    let (device, challenge) = &devices[waiting];
    assert_eq!(
        sign(&sandbox, &token, challenge, device, &codes[waiting]).await,
        StatusCode::NO_CONTENT
    );
    // The virtual device counts against the same limit.
    let virtual_device = sandbox
        .post(
            "/__admin/solaris/devices",
            json!({ "person_id": "person-1" }),
        )
        .await;
    assert_eq!(
        virtual_device.status,
        StatusCode::CONFLICT,
        "{}",
        virtual_device.body
    );
}

/// Runs the futures at once, each on its own connection, and gathers
/// their results in order.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                if let std::task::Poll::Ready(value) = future.as_mut().poll(cx) {
                    *result = Some(value);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn a_program_manager_that_answers_without_end_is_cut_off() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    // The PM answers 200 with a body of 4 GB and writes until the sandbox
    // hangs up, counting what it got out.
    let pm = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = vec![0; 64 * 1024];
        let _ = stream.read(&mut head).await.unwrap();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 4000000000\r\n\r\n")
            .await
            .unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        let mut written = 0usize;
        while written < 512 * 1024 * 1024 {
            match stream.write_all(&chunk).await {
                Ok(()) => written += chunk.len(),
                Err(_) => break,
            }
        }
        written
    });
    let sandbox = TestSandbox::start().await;
    let started = sandbox
        .post(
            "/__admin/thredd/authentications",
            json!({"pubtoken": 812_561_666, "amount": 1000, "currency": "GBP",
                "merchant": {"name": "Shop"}, "notify_initiate_action_url": url}),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let written = pm.await.unwrap();
    // What the sandbox took in is its limit plus what the sockets buffer;
    // far from the 512 MiB the PM would have sent.
    assert!(written < 32 * 1024 * 1024, "{written} bytes went out");
    let id = started.body["id"].as_str().unwrap();
    let events = sandbox
        .get(&format!("/__admin/events?subject={id}"))
        .await
        .body;
    let sent = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "thredd.notify_initiate_action.sent");
    assert_eq!(
        sent.map(|e| &e["data"]["status"]),
        Some(&json!(200)),
        "{events}"
    );
}

#[tokio::test]
async fn an_exposed_admin_token_is_judged_without_its_blanks_and_needs_variety() {
    let exposed = |token: &str| {
        sca_sandbox::Sandbox::builder()
            .bind("0.0.0.0:0".parse().unwrap())
            .admin_token(token)
            .build()
    };
    let padded = exposed(&format!("{}a", " ".repeat(15)));
    assert!(
        matches!(
            padded,
            Err(sca_sandbox::Error::AdminTokenTooShort { len: 1, .. })
        ),
        "{padded:?}"
    );
    let monotonous = exposed("abababababababababab");
    assert!(
        matches!(
            monotonous,
            Err(sca_sandbox::Error::AdminTokenWeak {
                min: 8,
                distinct: 2,
                ..
            })
        ),
        "{monotonous:?}"
    );
    assert!(exposed("  k3y-f0r-the-t3am-2026  ").is_ok());
    // On loopback any non-blank token will do, as before.
    assert!(sca_sandbox::Sandbox::builder()
        .admin_token("aaaa")
        .build()
        .is_ok());
}

/// A rule that quotes the request's `big` field `times` times.
fn amplifying(times: usize) -> String {
    let body = "{{body.big}}".repeat(times);
    format!(
        "rules:\n  - when: {{ operation: shine.action_request.create }}\n    respond:\n      status: 200\n      body: {{ echo: \"{body}\" }}\n"
    )
}

#[tokio::test]
async fn a_rule_answer_is_capped_and_refused_in_the_providers_envelope() {
    let sandbox = TestSandbox::with(&amplifying(2000)).await;
    let create = |big: String| {
        sandbox.send(
            sandbox
                .http
                .post(sandbox.url("/shine/v2/authentication/oauth2/action_request"))
                .json(&json!({ "big": big })),
        )
    };
    let small = create("ab".to_owned()).await;
    assert_eq!(small.status, StatusCode::OK);
    assert_eq!(small.body["echo"].as_str().map(str::len), Some(4000));
    let large = create("x".repeat(100_000)).await;
    assert_eq!(
        large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        large.body
    );
    // Shine's own error body, saying why.
    assert_eq!(large.body["status"], 413);
    assert!(
        large.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1048576 bytes"),
        "{}",
        large.body
    );
}

#[tokio::test]
async fn a_rule_answer_never_runs_as_a_page_on_the_sandboxs_origin() {
    let yaml = "rules:\n  - when: { operation: shine.action_request.create }\n    respond:\n      status: 200\n      headers: { content-type: text/html }\n      body: \"{{query.q}}\"\n";
    let sandbox = TestSandbox::with(yaml).await;
    let answer = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/shine/v2/authentication/oauth2/action_request?q=%3Cscript%3Ealert(1)%3C/script%3E"))
                .json(&json!({})),
        )
        .await;
    assert_eq!(answer.headers["content-type"], "text/html");
    let csp = answer.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    assert_eq!(answer.headers["x-content-type-options"], "nosniff");
}

/// One request written by hand on a fresh connection; the status line.
async fn raw(sandbox: &TestSandbox, request: &str) -> String {
    let addr = sandbox.url("").trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr.trim_end_matches('/'))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_control_api_and_the_dashboard_refuse_a_missing_or_disguised_host() {
    let sandbox = TestSandbox::start().await;
    for path in ["/__admin/health", "/"] {
        let no_host = raw(&sandbox, &format!("GET {path} HTTP/1.0\r\n\r\n")).await;
        assert!(no_host.contains(" 403 "), "{path}: {no_host}");
        let disguised = raw(
            &sandbox,
            &format!(
                "GET {path} HTTP/1.1\r\nhost: [::1].evil.example\r\nconnection: close\r\n\r\n"
            ),
        )
        .await;
        assert!(disguised.contains(" 403 "), "{path}: {disguised}");
        let loopback = raw(
            &sandbox,
            &format!("GET {path} HTTP/1.1\r\nhost: [::1]:4242\r\nconnection: close\r\n\r\n"),
        )
        .await;
        assert!(loopback.contains(" 200 "), "{path}: {loopback}");
    }
}

#[tokio::test]
async fn a_slow_body_is_sent_whole_at_once_when_the_server_stops() {
    let yaml = "rules:\n  - when: { operation: shine.action_request.create }\n    respond: { status: 200, body: { m: \"0123456789012345678\" } }\n    fault: { slow_body: { chunk: 10, every: 1h } }\n";
    let sandbox = TestSandbox::with(yaml).await;
    let url = sandbox.url("/shine/v2/authentication/oauth2/action_request");
    let mut answer = sandbox
        .http
        .post(url)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    // The first chunk came at once; the next waits an hour of a frozen clock.
    let first = answer.chunk().await.unwrap().unwrap();
    assert_eq!(first.len(), 10);
    let TestSandbox { server, .. } = sandbox;
    let stopped = tokio::spawn(server.shutdown());
    let mut rest = Vec::new();
    while let Some(chunk) = answer.chunk().await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(
        [&first[..], &rest[..]].concat(),
        br#"{"m":"0123456789012345678"}"#
    );
    stopped.await.unwrap();
}

#[tokio::test]
async fn a_request_sent_on_an_idle_connection_as_the_server_stops_is_answered() {
    let sandbox = TestSandbox::start().await;
    let addr = sandbox.server.addr();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    // One answered request makes it a kept-alive, idle connection.
    let health = "GET /__admin/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";
    idle.write_all(health.as_bytes()).await.unwrap();
    let mut buf = vec![0; 4096];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let TestSandbox { server, .. } = sandbox;
    let stopped = tokio::spawn(server.shutdown());
    // The server has stopped accepting: from here on it is shutting down.
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        tokio::task::yield_now().await;
    }
    idle.write_all(health.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = idle.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    stopped.await.unwrap();
}

#[tokio::test]
async fn shine_sends_codes_only_to_redirect_uris_the_client_registered() {
    let sandbox = TestSandbox::start().await;
    let authorize = |uri: &str| {
        let uri: String = form_urlencoded::byte_serialize(uri.as_bytes()).collect();
        let path = format!(
            "/shine/v2/authentication/oauth2/authorize?client_id=shine-client&response_type=code&redirect_uri={uri}"
        );
        sandbox.send(sandbox.http.get(sandbox.url(&path)))
    };
    for foreign in [
        "https://evil.example/cb",
        "http://localhost:3000/callback/../evil",
        "http://localhost:3000/callback?x=1",
        "http://localhost:3001/callback",
    ] {
        let refused = authorize(foreign).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{foreign}");
        assert_eq!(
            refused.body["code"], "AUTHORIZATION_REDIRECT_URI_DOES_NOT_MATCH",
            "{foreign}: {}",
            refused.body
        );
        assert!(refused.headers.get("location").is_none());
    }
    let registered = authorize("http://127.0.0.1:3000/callback").await;
    assert_eq!(registered.status, StatusCode::FOUND);
}

#[tokio::test]
async fn the_rendered_answer_limit_is_a_scenario_setting() {
    let yaml = format!(
        "settings:\n  limits: {{ rendered_answer: 1000 }}\n{}",
        amplifying(10)
    );
    // Its own file: the demo world's settings would be a second `settings`.
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let create = |big: &str| {
        sandbox.send(
            sandbox
                .http
                .post(sandbox.url("/shine/v2/authentication/oauth2/action_request"))
                .json(&json!({ "big": big })),
        )
    };
    assert_eq!(create(&"x".repeat(90)).await.status, StatusCode::OK);
    let large = create(&"x".repeat(110)).await;
    assert_eq!(large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        large.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1000 bytes"),
        "{}",
        large.body
    );
}
