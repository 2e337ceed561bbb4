//! Every store is capped per tenant (`settings.limits.live_objects`): at the
//! cap it forgets what is finished, and refuses with the provider's own
//! rate-limit answer only when everything it keeps is live.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{Answer, TestSandbox};

/// The demo world with every store capped at three.
async fn capped() -> TestSandbox {
    TestSandbox::from(
        sca_sandbox::Sandbox::builder()
            .scenario_yaml("settings:\n  limits:\n    live_objects: 3\n"),
    )
    .await
}

#[tokio::test]
async fn shine_forgets_decided_requests_first_then_answers_429() {
    let sandbox = capped().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(sandbox.shine_create_id().await);
    }
    let full = sandbox.shine_create().await;
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(full.body["status"], 429);
    assert_eq!(full.body["code"], "too_many_requests");
    // A decided request is finished: it makes room for the next one.
    let rejected = sandbox
        .post(
            &format!("/__admin/shine/action_requests/{}/reject", ids[0]),
            Value::Null,
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
    assert_eq!(sandbox.shine_create().await.status, StatusCode::OK);
    let stats = sandbox.get("/__admin/stats").await.body;
    assert_eq!(stats["shine"]["action_requests"], 3, "{stats}");
    assert_eq!(
        sandbox.shine_poll(&ids[0]).await.status,
        StatusCode::NOT_FOUND
    );
    // The live ones are untouched.
    assert_eq!(sandbox.shine_poll(&ids[1]).await.status, StatusCode::OK);
    // Pending requests past their lifetime are finished too.
    sandbox.advance("3m").await;
    assert_eq!(sandbox.shine_create().await.status, StatusCode::OK);
}

#[tokio::test]
async fn weavr_refuses_a_fourth_live_login_with_its_rate_limit_headers() {
    let sandbox = capped().await;
    for _ in 0..3 {
        sandbox.weavr_login("/multi", "buyer@example.com").await;
    }
    let full = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/weavr/multi/login_with_password"))
                .header("api-key", "weavr-sandbox-key")
                .json(&json!({"email": "buyer@example.com", "password": {"value": "Passw0rd!"}})),
        )
        .await;
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
    // Weavr's 429 has no body, and says the limit and when to retry.
    assert_eq!(full.body, Value::Null);
    assert_eq!(full.headers["x-ratelimit-limit"], "3");
    assert_eq!(full.headers["x-ratelimit-reset"], "1");
    // Idle tokens are finished: after the idle timeout there is room again.
    sandbox.advance("5m").await;
    sandbox.weavr_login("/multi", "buyer@example.com").await;
}

#[tokio::test]
async fn weavr_idempotency_keys_are_capped_too() {
    let sandbox = capped().await;
    let token = sandbox
        .weavr_login("/payment-run/v1", "buyer@example.com")
        .await;
    let create = |reference: String| {
        sandbox
            .http
            .post(sandbox.url("/weavr/payment-run/v1/payment_runs"))
            .header("api-key", "weavr-sandbox-key")
            .header("idempotency-ref", reference)
            .bearer_auth(&token)
            .json(&json!({"paymentRunRef": "x", "payments": []}))
    };
    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(sandbox.send(create(format!("ref-{n}"))).await.status);
    }
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // A run without payments is refused, and the refusal is what a key
    // replays; a key it keeps still replays.
    assert_eq!(statuses[0], StatusCode::BAD_REQUEST);
    let again = sandbox.send(create("ref-0".to_owned())).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

async fn solaris_token_answer(sandbox: &TestSandbox) -> Answer {
    sandbox
        .post(
            "/solaris/oauth/token",
            json!({"grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "solaris-secret"}),
        )
        .await
}

#[tokio::test]
async fn solaris_intergiro_and_thredd_answer_429_in_their_envelopes() {
    let sandbox = capped().await;
    for _ in 0..3 {
        sandbox.solaris_token().await;
        sandbox.intergiro_login().await;
        sandbox.pm_token().await;
    }
    let solaris = solaris_token_answer(&sandbox).await;
    assert_eq!(solaris.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(solaris.body["errors"][0]["status"], 429, "{}", solaris.body);
    assert_eq!(solaris.body["errors"][0]["code"], "too_many_requests");

    let intergiro = sandbox
        .post(
            "/intergiro/v3/auth/login",
            json!({"api_key": "intergiro-sandbox-key"}),
        )
        .await;
    assert_eq!(intergiro.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(intergiro.body["status"], 429, "{}", intergiro.body);
    assert_eq!(intergiro.body["type"], "too many requests");

    let thredd = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/thredd/connect/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "thredd-pm"),
                    ("client_secret", "thredd-pm-secret"),
                ]),
        )
        .await;
    assert_eq!(thredd.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(thredd.body["error"], "too_many_requests", "{}", thredd.body);

    // Expired tokens are finished: an hour on, Solaris has room again.
    sandbox.advance("1h").await;
    assert_eq!(
        solaris_token_answer(&sandbox).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn thredd_sessions_started_by_the_control_api_are_capped() {
    let sandbox = capped().await;
    let start = || {
        sandbox.post(
            "/__admin/thredd/authentications",
            json!({"pubtoken": 812_561_666, "amount": 1000, "currency": "GBP",
                "merchant": {"name": "Shop"}, "validation_timeout": "30s"}),
        )
    };
    for _ in 0..3 {
        assert_eq!(start().await.status, StatusCode::CREATED);
    }
    let full = start().await;
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(full.body["error"]["code"], "too_many_objects");
    // Timed-out sessions are finished.
    sandbox.advance("31s").await;
    assert_eq!(start().await.status, StatusCode::CREATED);
}

#[test]
fn the_cap_is_a_whole_number_above_zero() {
    for (yaml, wanted) in [
        ("settings:\n  limits:\n    live_objects: 0\n", "nonzero"),
        ("settings:\n  limits:\n    live_objects: many\n", "invalid"),
        ("settings:\n  limits:\n    objects: 5\n", "unknown field"),
    ] {
        let err = sca_sandbox::Scenario::parse("limits.yaml", yaml).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains(wanted), "{err}");
    }
}

/// Creates Shine action requests in `tenant` until one is refused; the
/// ids made and the refusal.
async fn fill_shine(sandbox: &TestSandbox, tenant: &str) -> (Vec<String>, Answer) {
    let mut ids = Vec::new();
    loop {
        let answer = sandbox
            .send(
                sandbox
                    .http
                    .post(sandbox.url(&format!(
                        "/t/{tenant}/shine/v2/authentication/oauth2/action_request"
                    )))
                    .json(
                        &json!({"action": "bank:transfers:create", "client_id": "shine-client",
                        "client_secret": "shine-secret", "uid": "user-1",
                        "payload": crate::support::transfer_body()}),
                    ),
            )
            .await;
        if answer.status != StatusCode::OK {
            return (ids, answer);
        }
        ids.push(
            answer.body["data"]["authenticationActionRequestId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
}

#[tokio::test]
async fn a_large_full_store_finds_a_finished_object_by_walking_not_scanning() {
    let cap = 4 * sca_sandbox::PROBES;
    let sandbox = TestSandbox::from(
        sca_sandbox::Sandbox::builder()
            .scenario_yaml(format!("settings:\n  limits:\n    live_objects: {cap}\n")),
    )
    .await;
    let (ids, full) = fill_shine(&sandbox, "walk").await;
    assert_eq!(ids.len(), cap);
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
    // One finished request, the last made: a refused create looks at 16
    // objects, and the next one carries on where it stopped.
    let last = ids.last().unwrap();
    let rejected = sandbox
        .post(
            &format!("/t/walk/__admin/shine/action_requests/{last}/reject"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
    let (made, _) = fill_shine(&sandbox, "walk").await;
    assert!(made.is_empty(), "the hand has not reached it yet");
    let mut refusals = 1;
    let made = loop {
        let (made, _) = fill_shine(&sandbox, "walk").await;
        if !made.is_empty() {
            break made;
        }
        refusals += 1;
        assert!(refusals <= cap / sca_sandbox::PROBES, "never found");
    };
    // It took the finished one's place, and the store is full again.
    assert_eq!(made.len(), 1);
    let stats = sandbox.get("/t/walk/__admin/stats").await.body;
    assert_eq!(stats["shine"]["action_requests"], cap, "{stats}");
}

#[tokio::test]
async fn a_full_tenant_leaves_other_tenants_and_the_control_api_alone() {
    let sandbox = capped().await;
    let (_, full) = fill_shine(&sandbox, "busy").await;
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
    let (made, _) = fill_shine(&sandbox, "quiet").await;
    assert_eq!(made.len(), 3, "the other tenant has its own cap");
    assert_eq!(sandbox.get("/__admin/health").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_memory_budget_is_shared_by_every_tenant_and_freed_by_a_reset() {
    // Room for 10 objects of the budget's counting, and no more.
    let sandbox = TestSandbox::from(
        sca_sandbox::Sandbox::builder().memory_budget(10 * sca_sandbox::OBJECT_COST),
    )
    .await;
    let (first, full) = fill_shine(&sandbox, "a").await;
    assert!(first.len() <= 10 && !first.is_empty(), "{}", first.len());
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        full.body["message"]
            .as_str()
            .unwrap()
            .contains("--memory-budget"),
        "{}",
        full.body
    );
    let (second, refused) = fill_shine(&sandbox, "b").await;
    assert!(
        second.is_empty(),
        "the budget is the process's, not a tenant's"
    );
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let stats = sandbox.get("/__admin/stats").await.body;
    assert_eq!(
        stats["memory_budget"]["limit"],
        10 * sca_sandbox::OBJECT_COST,
        "{stats}"
    );
    // Dropping the tenants gives their share back.
    assert_eq!(
        sandbox
            .post("/__admin/reset", serde_json::Value::Null)
            .await
            .status,
        StatusCode::OK
    );
    let (again, _) = fill_shine(&sandbox, "b").await;
    assert!(!again.is_empty());
}

#[tokio::test]
async fn uploaded_scenarios_draw_on_the_memory_budget() {
    let sandbox =
        TestSandbox::from(sca_sandbox::Sandbox::builder().memory_budget(100 * 1024)).await;
    let upload = |name: String| {
        sandbox.send(
            sandbox
                .http
                .post(sandbox.url("/t/up/__admin/scenarios"))
                .header("content-type", "application/yaml")
                .body(format!("name: {name}\n")),
        )
    };
    let mut uploaded = 0;
    let refused = loop {
        let answer = upload(format!("s{uploaded}")).await;
        if answer.status != StatusCode::OK {
            break answer;
        }
        uploaded += 1;
        assert!(uploaded < 32, "the budget never refused");
    };
    assert!(uploaded >= 1, "{}", refused.body);
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "library_full");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("memory budget"),
        "{}",
        refused.body
    );
    // The tenant's reset forgets its uploads and their share.
    sandbox
        .post("/t/up/__admin/reset", serde_json::Value::Null)
        .await;
    assert_eq!(upload("again".to_owned()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_spent_budget_keeps_the_journal_to_its_newest_entries() {
    // Room for four journal entries (256 bytes each) and nothing else.
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().memory_budget(4 * 256)).await;
    for _ in 0..20 {
        sandbox
            .shine_poll("00000000-0000-4000-8000-000000000000")
            .await;
    }
    let journal = sandbox.get("/__admin/journal").await.body;
    let entries = journal.as_array().unwrap();
    assert!(entries.len() <= 5, "{} entries", entries.len());
    // The newest stay.
    assert_eq!(entries.last().unwrap()["seq"], 20, "{journal}");
}
