//! Hostile and careless input that once got through: blank admin tokens,
//! durations and clocks out of range, lower-case schemes.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestSandbox;

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");

/// Runs the binary with `args` and the admin token's variable set to `env`
/// (removed when `None`); it must refuse to start.
fn refused_start(args: &[&str], env: Option<&str>) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["--port", "0"]).args(args);
    match env {
        Some(value) => cmd.env("SCA_SANDBOX_ADMIN_TOKEN", value),
        None => cmd.env_remove("SCA_SANDBOX_ADMIN_TOKEN"),
    };
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
    stderr
}

#[test]
fn a_blank_or_short_admin_token_is_refused_at_start() {
    for args in [
        &["--host", "0.0.0.0", "--admin-token", ""][..],
        &["--host", "0.0.0.0", "--admin-token", "   "],
        &["--admin-token", ""],
    ] {
        let stderr = refused_start(args, None);
        assert!(stderr.contains("admin token is empty"), "{stderr}");
    }
    for value in ["", " \t "] {
        let stderr = refused_start(&["--host", "0.0.0.0"], Some(value));
        assert!(stderr.contains("admin token is empty"), "{stderr}");
    }
    let stderr = refused_start(&["--host", "0.0.0.0", "--admin-token", "short-token"], None);
    assert!(stderr.contains("at least 16 characters"), "{stderr}");
}

#[tokio::test]
async fn the_embedding_refuses_the_same_tokens() {
    let blank = sca_sandbox::Sandbox::builder().admin_token(" ").build();
    assert!(matches!(blank, Err(sca_sandbox::Error::AdminTokenBlank)));
    let short = sca_sandbox::Sandbox::builder()
        .bind("0.0.0.0:0".parse().unwrap())
        .admin_token("0123456789abcde")
        .start()
        .await;
    assert!(matches!(
        short,
        Err(sca_sandbox::Error::AdminTokenTooShort {
            min: 16,
            len: 15,
            ..
        })
    ));
}

#[tokio::test]
async fn the_admin_scheme_is_case_insensitive_and_the_cookie_is_not_the_token() {
    let token = "admin-s3cret-token";
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().admin_token(token)).await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let res = sandbox
            .send(
                sandbox
                    .http
                    .get(sandbox.url("/__admin/health"))
                    .header("authorization", format!("{scheme} {token}")),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{scheme}");
    }
    let opened = sandbox
        .http
        .get(sandbox.url(&format!("/?token={token}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let cookie = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(!cookie.contains(token), "{cookie}");
    // The raw token in the cookie opens nothing.
    let raw = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/health"))
                .header("cookie", format!("sca_sandbox_admin={token}")),
        )
        .await;
    assert_eq!(raw.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn durations_past_ten_years_are_refused_with_their_position() {
    for (yaml, line, column) in [
        (
            "settings:\n  shine:\n    action_request_ttl: 2400000000h\n",
            3,
            25,
        ),
        (
            "rules:\n  - when: { operation: shine.action_request.create }\n    delay: 1s..99999999h\n",
            3,
            12,
        ),
    ] {
        let err = sca_sandbox::Scenario::parse("big.yaml", yaml).unwrap_err();
        assert!(err.message.contains("ten years"), "{err}");
        assert_eq!((err.line, err.column), (line, column), "{err}");
    }
    let sandbox = TestSandbox::start().await;
    let refused = sandbox
        .load_scenario("settings:\n  weavr:\n    lockout: 9999999999m\n")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.body["error"]["line"], 3);
}

#[tokio::test]
async fn the_longest_lifetimes_at_the_end_of_the_clock_do_not_panic() {
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(
        "settings:\n  shine:\n    action_request_ttl: 87600h\n    retention: 87600h\n",
    ))
    .await;
    let set = sandbox
        .post("/__admin/clock", json!({ "set": "2199-12-31T23:59:00Z" }))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let created = sandbox.shine_create().await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let expires = created.body["data"]["expiresAt"].as_str().unwrap();
    assert!(expires.starts_with("2209-"), "{expires}");
}

#[tokio::test]
async fn the_control_api_refuses_a_clock_outside_1970_to_2200() {
    let sandbox = TestSandbox::start().await;
    let before = sandbox.get("/__admin/clock").await.body["now"].clone();
    for change in [
        json!({ "set": "2263-01-01T00:00:00Z" }),
        json!({ "set": "1677-01-01T00:00:00Z" }),
        json!({ "set": "1969-12-31T23:59:59Z" }),
        json!({ "set": "2199-12-31T00:00:00Z", "advance": "48h" }),
        json!({ "frozen": false, "set": "2195-01-01T00:00:00Z", "advance": "87600h" }),
    ] {
        let mut last = Value::Null;
        // Again and again: a refused change must not add up.
        for _ in 0..30 {
            let res = sandbox.post("/__admin/clock", change.clone()).await;
            assert_eq!(
                res.status,
                StatusCode::BAD_REQUEST,
                "{change}: {}",
                res.body
            );
            assert!(
                res.body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("1970-01-01T00:00:00Z to 2200-01-01T00:00:00Z"),
                "{}",
                res.body
            );
            last = res.body;
        }
        assert_eq!(last["error"]["code"], "clock_out_of_range", "{last}");
    }
    // Nothing moved, and the clock is still frozen as the test left it.
    let after = sandbox.get("/__admin/clock").await.body;
    assert_eq!(after["now"], before);
    assert_eq!(after["frozen"], true);
    // Up to the end of the range is fine, and expired objects stay expired.
    let id = sandbox.shine_create_id().await;
    for _ in 0..17 {
        sandbox.advance("87600h").await;
    }
    let later = sandbox
        .post("/__admin/clock", json!({ "advance": "87600h" }))
        .await;
    assert_eq!(later.status, StatusCode::BAD_REQUEST);
    let polled = sandbox.shine_poll(&id).await;
    assert_ne!(polled.status, StatusCode::OK, "{}", polled.body);
}

/// Sends `head` then `body` on a fresh connection, the body a byte every
/// `gap` when one is given, and reads until the server closes it.
async fn exchange(
    addr: std::net::SocketAddr,
    head: &str,
    body: &[u8],
    gap: Option<std::time::Duration>,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write.write_all(head.as_bytes()).await.unwrap();
    let body = body.to_vec();
    let writer = tokio::spawn(async move {
        for chunk in body.chunks(if gap.is_some() { 1 } else { body.len().max(1) }) {
            if write.write_all(chunk).await.is_err() {
                return;
            }
            if let Some(gap) = gap {
                tokio::time::sleep(gap).await;
            }
        }
        // Keep the connection open: the server must be the one to close it.
        std::future::pending::<()>().await;
    });
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        read.read_to_end(&mut out),
    )
    .await;
    writer.abort();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_stalled_or_trickled_body_is_answered_408_and_closed() {
    let timeout = std::time::Duration::from_millis(300);
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().body_timeout(timeout)).await;
    let addr = sandbox.server.addr();
    let head = |path: &str| {
        format!("POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n")
    };
    // Two bytes of a hundred, then nothing.
    let stalled = exchange(
        addr,
        &head("/shine/v2/authentication/oauth2/action_request"),
        b"{\"",
        None,
    )
    .await;
    assert!(stalled.starts_with("HTTP/1.1 408"), "{stalled}");
    assert!(stalled.contains("connection: close"), "{stalled}");
    assert!(stalled.contains(r#""code":"request_timeout""#), "{stalled}");
    assert!(
        stalled.contains(r#""status":408"#),
        "Shine's envelope: {stalled}"
    );
    // A byte every 50 ms would take 5 s; the limit is on the whole body.
    let gap = Some(std::time::Duration::from_millis(50));
    let trickled = exchange(
        addr,
        &head("/weavr/multi/login_with_password"),
        &[b' '; 100],
        gap,
    )
    .await;
    assert!(trickled.starts_with("HTTP/1.1 408"), "{trickled}");
    assert!(
        trickled.contains("REQUEST_TIMEOUT"),
        "Weavr's envelope: {trickled}"
    );
    let admin = exchange(addr, &head("/__admin/scenarios"), b"na", None).await;
    assert!(admin.starts_with("HTTP/1.1 408"), "{admin}");
    assert!(admin.contains(r#""code":"request_timeout""#), "{admin}");
    // Nothing was created, and the server answers as before.
    let stats = sandbox.get("/__admin/stats").await.body;
    assert_eq!(stats["shine"]["action_requests"], 0, "{stats}");
    assert_eq!(stats["in_flight"], 0, "{stats}");
    assert_eq!(sandbox.shine_create().await.status, StatusCode::OK);
}

#[tokio::test]
async fn heads_over_64_kib_are_431_in_json() {
    let sandbox = TestSandbox::start().await;
    let addr = sandbox.server.addr();
    let head = |size: usize| {
        format!(
            "GET /__admin/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\nx-big: {}\r\n\r\n",
            "a".repeat(size)
        )
    };
    let fits = exchange(addr, &head(64 * 1024 - 100), b"", None).await;
    assert!(
        fits.starts_with("HTTP/1.1 200"),
        "{}",
        &fits[..40.min(fits.len())]
    );
    for size in [64 * 1024, 70_000, 100_000, 200_000, 1_000_000] {
        let answer = exchange(addr, &head(size), b"", None).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{size}: {answer}");
        let body = answer.split_once("\r\n\r\n").unwrap().1;
        let json: Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(
            json["error"]["code"], "request_header_fields_too_large",
            "{size}"
        );
    }
    // A head that is not HTTP at all gets JSON too.
    let garbage = exchange(addr, "NOT HTTP\r\n\r\n", b"", None).await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    assert!(garbage.contains(r#""code":"bad_request""#), "{garbage}");
}

#[tokio::test]
async fn shutdown_answers_open_long_polls_at_once() {
    let sandbox = TestSandbox::start().await;
    let polls: Vec<_> = [
        "/__admin/sms?wait=60s",
        "/__admin/events?wait=60s&type=none",
    ]
    .into_iter()
    .map(|path| tokio::spawn(sandbox.http.get(sandbox.url(path)).send()))
    .collect();
    crate::server::wait_until_in_flight(&sandbox, 2).await;
    let TestSandbox { server, .. } = sandbox;
    // The drain waits up to 10 s for connections; long-polls must not hold it.
    tokio::time::timeout(std::time::Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown did not wait for the long-polls");
    for poll in polls {
        let answer = poll.await.unwrap().expect("the long-poll was answered");
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.json::<Value>().await.unwrap(), json!([]));
    }
}

#[tokio::test]
async fn another_sites_page_can_neither_change_nor_read_the_control_api() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    // A form or fetch from a page the developer visits: text/plain, foreign Origin.
    for (path, origin) in [
        ("/__admin/reset", "https://evil.example"),
        ("/__admin/reset", "null"),
        ("/__admin/reset", "http://127.0.0.1:1"),
        ("/t/ci-1/__admin/reset", "https://evil.example"),
    ] {
        let res = sandbox
            .send(
                sandbox
                    .http
                    .post(sandbox.url(path))
                    .header("content-type", "text/plain")
                    .header("origin", origin)
                    .body("{}"),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path} {origin}");
        assert_eq!(res.body["error"]["code"], "forbidden_origin");
    }
    let form = sandbox
        .http
        .post(sandbox.url("/actions"))
        .header("origin", "https://evil.example")
        .form(&[("action", "advance"), ("by", "5m"), ("back", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    // Nothing was reset: the request made before is still there.
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);

    // A DNS-rebinding page reads under its own name, which is refused.
    let rebound = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/sms"))
                .header("host", "rebound.evil.example:4242"),
        )
        .await;
    assert_eq!(rebound.status, StatusCode::FORBIDDEN);
    assert_eq!(rebound.body["error"]["code"], "forbidden_host");
    let page = sandbox
        .http
        .get(sandbox.url("/"))
        .header("host", "rebound.evil.example")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);

    // The sandbox's own pages, scripts without an Origin, and `localhost` pass.
    let own = sandbox.url("");
    let same = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/clock"))
                .header("origin", own)
                .json(&json!({ "advance": "1s" })),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
    let local = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/health"))
                .header("host", "localhost:4242"),
        )
        .await;
    assert_eq!(local.status, StatusCode::OK);
    // The provider endpoints answer whatever the Host: real clients send theirs.
    let provider = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url(&format!(
                    "/shine/v2/authentication/oauth2/action_request/{id}/poll?client_id=shine-client&client_secret=shine-secret"
                )))
                .header("host", "api.shine.example"),
        )
        .await;
    assert_eq!(provider.status, StatusCode::OK);
}

#[tokio::test]
async fn a_configured_host_name_is_answered() {
    let sandbox =
        TestSandbox::from(sca_sandbox::Sandbox::builder().allowed_host("sca-sandbox")).await;
    let named = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/health"))
                .header("host", "sca-sandbox:4242"),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK);
    let other = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/health"))
                .header("host", "other:4242"),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
}
