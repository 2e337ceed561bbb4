//! Shine: action requests, polling, the simulated user, short-lived tokens,
//! transfers and OAuth.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{transfer_body, TestSandbox, SHINE_CLIENT, SHINE_TOKEN};

const CREATE: &str = "/shine/v2/authentication/oauth2/action_request";

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .to_utc()
}

#[tokio::test]
async fn creating_an_action_request_returns_it_pending_for_three_minutes() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox.shine_create().await;
    assert_eq!(answer.status, StatusCode::OK);
    let data = &answer.body["data"];
    assert_eq!(data["status"], "PENDING");
    assert_eq!(data["clientId"], "shine-client");
    assert_eq!(data["action"], "bank:transfers:create");
    assert_eq!(data["uid"], "user-1");
    assert_eq!(data["payload"], transfer_body());
    assert!(data.get("token").is_none());
    assert_eq!(answer.body["metadata"], json!({}));
    let created = time(&data["createdAt"]);
    assert_eq!(time(&data["updatedAt"]), created);
    assert_eq!((time(&data["expiresAt"]) - created).num_seconds(), 180);
    // Nanosecond timestamps, as Shine writes them.
    assert!(data["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn escaped_strings_in_the_body_read_as_their_text() {
    let sandbox = TestSandbox::start().await;
    // Every string written with JSON escapes, which a reader that borrows
    // from the body must still decode.
    let body = r#"{"action":"bank:transfers:cre\u0061te","client_id":"shine\u002dclient",
        "client_secret":"shine-secre\u0074","uid":"user\u002d1",
        "payload":{"amount":234,"bankTransferRecipientId":"recipient\u002d1","uid":"user\u002d1",
        "userLabel":"Rent \"May\""}}"#;
    let create = |body: String| {
        sandbox.send(
            sandbox
                .http
                .post(sandbox.url("/shine/v2/authentication/oauth2/action_request"))
                .header("content-type", "application/json")
                .body(body),
        )
    };
    let answer = create(body.to_owned()).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let data = &answer.body["data"];
    assert_eq!(data["clientId"], "shine-client");
    assert_eq!(data["action"], "bank:transfers:create");
    assert_eq!(data["uid"], "user-1");
    // The payload is echoed as sent.
    assert_eq!(data["payload"]["bankTransferRecipientId"], "recipient-1");
    assert_eq!(data["payload"]["userLabel"], "Rent \"May\"");

    let mismatched = body.replace(
        r#""uid":"user\u002d1",
        "userLabel""#,
        r#""uid":"user\u002d2",
        "userLabel""#,
    );
    let refused = create(mismatched).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.body["field"], "payload.uid");
}

#[tokio::test]
async fn empty_path_segments_are_ignored() {
    let sandbox = TestSandbox::start().await;
    let body = json!({"action": "bank:transfers:create", "client_id": "shine-client",
        "client_secret": "shine-secret", "uid": "user-1", "payload": transfer_body()});
    for path in [
        "//shine//v2/authentication/oauth2/action_request",
        "/shine/v2/authentication/oauth2/action_request/",
    ] {
        let answer = sandbox
            .send(sandbox.http.post(sandbox.url(path)).json(&body))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {:?}", answer.body);
        assert_eq!(answer.body["data"]["status"], "PENDING");
    }
}

#[tokio::test]
async fn create_refuses_bad_credentials_actions_users_and_payloads() {
    let sandbox = TestSandbox::start().await;
    let base = json!({
        "action": "bank:transfers:create", "client_id": "shine-client",
        "client_secret": "shine-secret", "uid": "user-1", "payload": transfer_body(),
    });
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        // The reference's codes say which of the two was wrong.
        (
            with("client_secret", json!("wrong")),
            401,
            "AUTHORIZATION_CLIENT_SECRET_DOES_NOT_MATCH",
            Some("client_secret"),
        ),
        (
            with("client_id", json!("nobody")),
            401,
            "AUTHORIZATION_CLIENT_NOT_FOUND",
            Some("client_id"),
        ),
        (
            with("action", json!("bank:cards:freeze")),
            400,
            "validation_error",
            Some("action"),
        ),
        (with("uid", json!("user-9")), 404, "not_found", Some("uid")),
        (
            with("action", json!(5)),
            400,
            "validation_error",
            Some("action"),
        ),
        (
            with(
                "payload",
                json!({"amount": -3, "bankTransferRecipientId": "recipient-1"}),
            ),
            400,
            "validation_error",
            Some("payload.amount"),
        ),
        (
            with(
                "payload",
                json!({"amount": 3, "bankTransferRecipientId": "nobody"}),
            ),
            400,
            "validation_error",
            Some("payload.bankTransferRecipientId"),
        ),
        (
            with("payload", json!({"amount": 3})),
            400,
            "validation_error",
            Some("payload.bankTransferRecipientId"),
        ),
        (
            with("payload", json!("a string")),
            400,
            "validation_error",
            Some("payload"),
        ),
    ];
    for (body, status, code, field) in cases {
        let answer = sandbox.post(CREATE, body.clone()).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{body} -> {:?}",
            answer.body
        );
        assert_eq!(answer.body["status"], status, "{:?}", answer.body);
        assert_eq!(answer.body["code"], code, "{:?}", answer.body);
        assert_eq!(answer.body["field"].as_str(), field, "{:?}", answer.body);
        assert!(answer.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        // Every error carries the reference's `helpUrl`.
        assert_eq!(
            answer.body["helpUrl"], "https://developers.shine.fr/reference/errors",
            "{:?}",
            answer.body
        );
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("uid");
    let answer = sandbox.post(CREATE, missing).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["field"], "uid");
    // Nothing was created by any of them.
    let listed = sandbox.get("/__admin/shine/action_requests").await;
    assert_eq!(listed.body, json!([]));
}

#[tokio::test]
async fn polling_works_with_get_and_post_and_checks_the_client() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    let by_get = sandbox.shine_poll(&id).await;
    assert_eq!(by_get.status, StatusCode::OK);
    assert_eq!(by_get.body["data"]["status"], "PENDING");
    let path = format!("/shine/v2/authentication/oauth2/action_request/{id}/poll");
    let by_post = sandbox
        .post(
            &path,
            json!({"client_id": SHINE_CLIENT.0, "client_secret": SHINE_CLIENT.1}),
        )
        .await;
    assert_eq!(by_post.status, StatusCode::OK);
    assert_eq!(by_post.body["data"]["authenticationActionRequestId"], id);

    let wrong = sandbox
        .post(
            &path,
            json!({"client_id": SHINE_CLIENT.0, "client_secret": "nope"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body["code"],
        "AUTHORIZATION_CLIENT_SECRET_DOES_NOT_MATCH"
    );
    let missing = sandbox.get(&path).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["field"], "client_id");
    let unknown = sandbox
        .shine_poll("7f1b2c3d-0000-4000-8000-000000000000")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_uuid = sandbox.shine_poll("not-an-id").await;
    assert_eq!(not_uuid.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_clients_request_is_not_found() {
    let yaml = crate::support::default_without_users_and_rules().replace(
        "      - client_id: shine-client\n",
        "      - { client_id: other, client_secret: other-secret }\n      - client_id: shine-client\n",
    );
    assert!(yaml.contains("client_id: other"));
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let id = sandbox.shine_create_id().await;
    let path = format!("/shine/v2/authentication/oauth2/action_request/{id}/poll");
    let answer = sandbox
        .post(
            &path,
            json!({"client_id": "other", "client_secret": "other-secret"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_user_confirms_through_the_control_api_and_a_token_appears() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    sandbox.advance("10s").await;
    let confirmed = sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/confirm"),
            Value::Null,
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert_eq!(confirmed.body["status"], "CONFIRMED");
    let polled = sandbox.shine_poll(&id).await.body;
    let data = &polled["data"];
    assert_eq!(data["status"], "CONFIRMED");
    assert!(data["token"].as_str().unwrap().len() >= 32);
    assert_eq!(
        (time(&data["updatedAt"]) - time(&data["createdAt"])).num_seconds(),
        10
    );

    let again = sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/reject"),
            Value::Null,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["code"], "not_pending");
    let unknown = sandbox
        .post("/__admin/shine/action_requests/nope/confirm", Value::Null)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_rejected_request_has_no_token() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    let rejected = sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/reject"),
            Value::Null,
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK);
    let data = &sandbox.shine_poll(&id).await.body["data"];
    assert_eq!(data["status"], "REJECTED");
    assert!(data.get("token").is_none());
}

#[tokio::test]
async fn an_unanswered_request_expires_after_three_minutes() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    sandbox.advance("2m59s").await;
    assert_eq!(
        sandbox.shine_poll(&id).await.body["data"]["status"],
        "PENDING"
    );
    sandbox.advance("1s").await;
    // Shine's statuses are PENDING, CONFIRMED and REJECTED: an expired
    // request stays PENDING, and its expiresAt (now passed) tells.
    let data = sandbox.shine_poll(&id).await.body["data"].clone();
    assert_eq!(data["status"], "PENDING");
    assert!(data.get("token").is_none());
    assert_eq!(data["updatedAt"], data["createdAt"]);
    let at = |v: &Value| DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let now = sandbox.get("/__admin/clock").await.body["now"].clone();
    // The control API shows the clock to the millisecond.
    assert!(at(&data["expiresAt"]) < at(&now) + chrono::TimeDelta::milliseconds(1));
    let expired = sandbox
        .get("/__admin/shine/action_requests?status=EXPIRED")
        .await;
    assert_eq!(expired.body.as_array().unwrap().len(), 1);
    assert_eq!(expired.body[0]["status"], "PENDING");
    let pending = sandbox
        .get("/__admin/shine/action_requests?status=PENDING")
        .await;
    assert_eq!(
        pending.body,
        json!([]),
        "an expired request waits for no one"
    );
    let late = sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/confirm"),
            Value::Null,
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    let events = sandbox
        .get(&format!(
            "/__admin/events?type=action_request.expired&subject={id}&wait=5s"
        ))
        .await;
    assert_eq!(
        events.body.as_array().unwrap().len(),
        1,
        "{:?}",
        events.body
    );
}

#[tokio::test]
async fn the_simulated_user_confirms_after_a_time() {
    let sandbox = TestSandbox::with(
        "users:\n  shine:\n    action_request: { decide: confirm, after: 2s }\nrules: []\n",
    )
    .await;
    let id = sandbox.shine_create_id().await;
    sandbox.advance("1s").await;
    assert_eq!(
        sandbox.shine_poll(&id).await.body["data"]["status"],
        "PENDING"
    );
    sandbox.advance("1s").await;
    // The sweeper records the decision without anyone polling.
    let events = sandbox
        .get(&format!(
            "/__admin/events?type=action_request.confirmed&subject={id}&wait=5s"
        ))
        .await;
    assert_eq!(
        events.body.as_array().unwrap().len(),
        1,
        "{:?}",
        events.body
    );
    let data = &sandbox.shine_poll(&id).await.body["data"];
    assert_eq!(data["status"], "CONFIRMED");
    assert_eq!(
        (time(&data["updatedAt"]) - time(&data["createdAt"])).num_seconds(),
        2
    );
}

#[tokio::test]
async fn the_simulated_user_rejects_after_two_polls() {
    let sandbox = TestSandbox::with(
        "users:\n  shine:\n    action_request: { decide: reject, after_polls: 2 }\nrules: []\n",
    )
    .await;
    let id = sandbox.shine_create_id().await;
    assert_eq!(
        sandbox.shine_poll(&id).await.body["data"]["status"],
        "PENDING"
    );
    assert_eq!(
        sandbox.shine_poll(&id).await.body["data"]["status"],
        "PENDING"
    );
    assert_eq!(
        sandbox.shine_poll(&id).await.body["data"]["status"],
        "REJECTED"
    );
}

#[tokio::test]
async fn a_timed_decision_after_the_expiry_never_happens() {
    let sandbox = TestSandbox::with(
        "users:\n  shine:\n    action_request: { decide: confirm, after: 5m }\nrules: []\n",
    )
    .await;
    let id = sandbox.shine_create_id().await;
    sandbox.advance("10m").await;
    let data = sandbox.shine_poll(&id).await.body["data"].clone();
    assert_eq!(data["status"], "PENDING", "expired, so never confirmed");
    assert!(data.get("token").is_none());
}

#[tokio::test]
async fn a_short_lived_token_makes_exactly_the_confirmed_transfer_once() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.shine_token().await;
    let made = sandbox.shine_transfer(&token, transfer_body()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let transfer = &made.body["data"];
    assert_eq!(transfer["amount"], 234);
    assert_eq!(transfer["bankTransferRecipientId"], "recipient-1");
    assert_eq!(transfer["status"], "PENDING");

    let again = sandbox.shine_transfer(&token, transfer_body()).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert_eq!(again.body["code"], "short_lived_token_used");

    let id = transfer["bankTransferId"].as_str().unwrap();
    let read = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url(&format!("/shine/v3/bank/transfers/{id}")))
                .bearer_auth(SHINE_TOKEN),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["data"]["bankTransferId"], id);
    let used = sandbox.get("/__admin/events?type=token.used").await;
    assert_eq!(used.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_token_expires_after_one_minute() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.shine_token().await;
    sandbox.advance("59s").await;
    let fresh = sandbox.shine_token().await;
    sandbox.advance("1s").await;
    let answer = sandbox.shine_transfer(&token, transfer_body()).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["code"], "short_lived_token_expired");
    let answer = sandbox.shine_transfer(&fresh, transfer_body()).await;
    assert_eq!(answer.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_token_is_good_only_for_its_payload_and_a_refusal_does_not_spend_it() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.shine_token().await;
    let other = json!({ "amount": 999, "bankTransferRecipientId": "recipient-1", "uid": "user-1" });
    let answer = sandbox.shine_transfer(&token, other).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["code"], "short_lived_token_mismatch");
    // The same amount written as a float is the same payload.
    let same =
        json!({ "amount": 234.0, "bankTransferRecipientId": "recipient-1", "uid": "user-1" });
    assert_eq!(
        sandbox.shine_transfer(&token, same).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn transfers_need_a_token_and_an_access_token() {
    let sandbox = TestSandbox::start().await;
    let path = sandbox.url("/shine/v3/bank/transfers");
    let no_token = sandbox
        .send(
            sandbox
                .http
                .post(&path)
                .bearer_auth(SHINE_TOKEN)
                .json(&transfer_body()),
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(no_token.body["code"], "sca_required");
    let unknown = sandbox.shine_transfer("slt_made_up", transfer_body()).await;
    assert_eq!(unknown.status, StatusCode::FORBIDDEN);
    assert_eq!(unknown.body["code"], "invalid_short_lived_token");
    let token = sandbox.shine_token().await;
    for (auth, code) in [
        (None, "AUTHORIZATION_MISSING_ACCESS_TOKEN"),
        (Some("wrong-token"), "AUTHORIZATION_INVALID_ACCESS_TOKEN"),
    ] {
        let mut req = sandbox
            .http
            .post(&path)
            .header("short-lived-token", &token)
            .json(&transfer_body());
        if let Some(auth) = auth {
            req = req.bearer_auth(auth);
        }
        let answer = sandbox.send(req).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body["code"], code);
    }
    let bad_body = sandbox.shine_transfer(&token, json!({"amount": "x"})).await;
    assert_eq!(bad_body.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_body.body["field"], "amount");
    // None of the refusals spent the token.
    assert_eq!(
        sandbox.shine_transfer(&token, transfer_body()).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_uses_of_one_token_succeed_exactly_once() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.shine_token().await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = sandbox
            .http
            .post(sandbox.url("/shine/v3/bank/transfers"))
            .bearer_auth(SHINE_TOKEN)
            .header("short-lived-token", &token)
            .json(&transfer_body());
        attempts.spawn(async move {
            let res = request.send().await.expect("answered");
            let status = res.status();
            let body: Value = res.json().await.expect("JSON");
            (status, body)
        });
    }
    let (mut created, mut used) = (0, 0);
    while let Some(joined) = attempts.join_next().await {
        let (status, body) = joined.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::FORBIDDEN if body["code"] == "short_lived_token_used" => used += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((created, used), (1, 49));
}

#[tokio::test]
async fn finished_requests_are_swept_after_their_retention() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    sandbox.advance("3m").await; // expired
    assert_eq!(
        sandbox
            .get("/__admin/shine/action_requests?status=EXPIRED")
            .await
            .body[0]["authenticationActionRequestId"],
        id.as_str()
    );
    sandbox.advance("15m").await; // retention passed
    let mut stats = Value::Null;
    for _ in 0..100 {
        stats = sandbox.get("/__admin/stats").await.body;
        if stats["shine"]["action_requests"] == 0 {
            break;
        }
        tokio::task::yield_now().await;
        sandbox.advance("0s").await;
    }
    assert_eq!(stats["shine"]["action_requests"], 0, "{stats}");
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oauth_authorization_code_flow_issues_rotating_tokens() {
    let sandbox = TestSandbox::start().await;
    let authorize = sandbox
        .request(
            Method::GET,
            "/shine/v2/authentication/oauth2/authorize?client_id=shine-client&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=code&state=xyz&scope=openid",
        )
        .await;
    assert_eq!(authorize.status, StatusCode::FOUND);
    let location = authorize.headers["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://localhost:3000/callback?code="),
        "{location}"
    );
    assert!(location.ends_with("&state=xyz"), "{location}");
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();

    let token_path = "/shine/v2/authentication/oauth2/token";
    let exchange = json!({
        "client_id": SHINE_CLIENT.0, "client_secret": SHINE_CLIENT.1,
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost:3000/callback",
    });
    let tokens = sandbox.post(token_path, exchange.clone()).await;
    assert_eq!(tokens.status, StatusCode::OK, "{:?}", tokens.body);
    assert_eq!(tokens.body["metadata"]["uid"], "user-1");
    assert_eq!(
        tokens.body["metadata"]["companyProfileId"],
        "company-profile-1"
    );
    let access = tokens.body["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens.body["refresh_token"].as_str().unwrap().to_owned();

    let reused = sandbox.post(token_path, exchange.clone()).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.body["code"], "AUTHORIZATION_CODE_NOT_FOUND");
    let mut no_code = exchange;
    no_code.as_object_mut().unwrap().remove("code");
    let missing = sandbox.post(token_path, no_code).await;
    assert_eq!(
        (missing.status, missing.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("AUTHORIZATION_CODE_MISSING")),
        "{:?}",
        missing.body
    );

    // The issued access token works like the fixture one.
    let transfer_id_path = "/shine/v3/bank/transfers/7f1b2c3d-0000-4000-8000-000000000000";
    let read = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url(transfer_id_path))
                .bearer_auth(&access),
        )
        .await;
    assert_eq!(
        read.status,
        StatusCode::NOT_FOUND,
        "authenticated, nothing there"
    );

    // Refresh by GET with a query, as the demo app does; the old token stops working.
    let query = format!(
        "{token_path}?client_id=shine-client&client_secret=shine-secret&grant_type=refresh_token&refresh_token={refresh}"
    );
    let renewed = sandbox.get(&query).await;
    assert_eq!(renewed.status, StatusCode::OK, "{:?}", renewed.body);
    assert_eq!(sandbox.get(&query).await.status, StatusCode::BAD_REQUEST);

    let new_access = renewed.body["access_token"].as_str().unwrap().to_owned();
    // Revoked where the reference documents it; the path beside the token
    // endpoint is an alias.
    let revoked = sandbox
        .post(
            "/shine/v2/authentication/token/revoke",
            json!({"client_id": SHINE_CLIENT.0, "client_secret": SHINE_CLIENT.1, "token": new_access}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let by_alias = sandbox
        .post(
            "/shine/v2/authentication/oauth2/token/revoke",
            json!({"client_id": SHINE_CLIENT.0, "client_secret": SHINE_CLIENT.1, "token": access}),
        )
        .await;
    assert_eq!(by_alias.status, StatusCode::NO_CONTENT);
    let read = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url(transfer_id_path))
                .bearer_auth(&new_access),
        )
        .await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);

    // Issued access tokens expire.
    sandbox.advance("1h").await;
    let read = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url(transfer_id_path))
                .bearer_auth(&access),
        )
        .await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn authorize_refuses_unsafe_redirects_and_unknown_clients() {
    let sandbox = TestSandbox::start().await;
    let base = "/shine/v2/authentication/oauth2/authorize?response_type=code";
    for (query, field) in [
        (
            "&client_id=shine-client&redirect_uri=javascript%3Aalert(1)",
            Some("redirect_uri"),
        ),
        (
            "&client_id=shine-client&redirect_uri=data%3Atext%2Fhtml%2Cx",
            Some("redirect_uri"),
        ),
        ("&client_id=shine-client", Some("redirect_uri")),
        (
            "&client_id=nobody&redirect_uri=https%3A%2F%2Fexample.com",
            Some("client_id"),
        ),
    ] {
        let answer = sandbox.get(&format!("{base}{query}")).await;
        assert!(
            answer.status.is_client_error(),
            "{query}: {:?}",
            answer.status
        );
        assert!(answer.headers.get("location").is_none(), "{query}");
        assert_eq!(
            answer.body["field"].as_str(),
            field,
            "{query}: {:?}",
            answer.body
        );
    }
    let grant = sandbox
        .post(
            "/shine/v2/authentication/oauth2/token",
            json!({"client_id": SHINE_CLIENT.0, "client_secret": SHINE_CLIENT.1, "grant_type": "password"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::BAD_REQUEST);
    assert_eq!(grant.body["code"], "unsupported_grant_type");
}

#[tokio::test]
async fn transfers_are_served_at_the_mutual_tls_hosts_path_too() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.shine_token().await;
    let created = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/shine/bank/transfers"))
                .bearer_auth(SHINE_TOKEN)
                .header("short-lived-token", &token)
                .json(&transfer_body()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["data"]["bankTransferId"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/shine/bank/transfers/{id}"),
        format!("/shine/v3/bank/transfers/{id}"),
    ] {
        let got = sandbox
            .send(
                sandbox
                    .http
                    .get(sandbox.url(&path))
                    .bearer_auth(SHINE_TOKEN),
            )
            .await;
        assert_eq!(got.status, StatusCode::OK, "{path}");
        assert_eq!(got.body["data"]["bankTransferId"], id.as_str());
    }
    // The token was spent on the first path; the other path knows it too.
    let again = sandbox.shine_transfer(&token, transfer_body()).await;
    assert_eq!(again.body["code"], "short_lived_token_used");
}
