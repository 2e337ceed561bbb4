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
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/scenarios"))
                .body("settings:\n  weavr:\n    lockout: 9999999999m\n"),
        )
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
