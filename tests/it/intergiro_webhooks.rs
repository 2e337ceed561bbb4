//! Intergiro's onboarding webhooks, as its guide gives them: a thin event
//! `{id, name, created_at}` for IndividualOnboardingDataProvided and then
//! IndividualActivated or IndividualBlocked, whose details (`payload` with
//! `individual_id`) are read with `GET /v3/events/{id}`. Intergiro signs
//! none.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{default_without_users_and_rules, TestSandbox};

async fn with_receiver(review: &str) -> TestSandbox {
    let base = default_without_users_and_rules();
    let yaml = base.replacen(
        "\n  intergiro:\n",
        &format!("\n  intergiro:\n    onboarding_review: {review}\n    webhooks: {{ url: \"inbox:ig\" }}\n"),
        1,
    );
    assert_ne!(yaml, base);
    TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await
}

/// Onboards ind-1 through consent and the form.
async fn onboard(sandbox: &TestSandbox, token: &str) {
    let onboard = || {
        sandbox.intergiro(
            Method::POST,
            "/v3/individuals/ind-1/onboard",
            token,
            Some(json!({})),
        )
    };
    let first = onboard().await;
    sandbox.approve_on_page(token, &first.body).await;
    let link = onboard().await;
    let form = link.body["redirect_url"].as_str().unwrap().to_owned();
    sandbox.send_form(&form).await;
}

async fn inbox(sandbox: &TestSandbox, since: u64) -> Vec<Value> {
    sandbox
        .get(&format!("/__admin/webhook-inbox/ig?since={since}&wait=5s"))
        .await
        .body
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn onboarding_sends_data_provided_then_activated_and_the_event_reads_back() {
    let sandbox = with_receiver("activate").await;
    let token = sandbox.intergiro_login().await;
    onboard(&sandbox, &token).await;
    let mut got = inbox(&sandbox, 0).await;
    while got.len() < 2 {
        let last = got.last().unwrap()["seq"].as_u64().unwrap();
        got.extend(inbox(&sandbox, last).await);
    }
    let names: Vec<&Value> = got.iter().map(|a| &a["body"]["name"]).collect();
    assert_eq!(
        names,
        [
            &json!("IndividualOnboardingDataProvided"),
            &json!("IndividualActivated")
        ]
    );
    for arrival in &got {
        let body = arrival["body"].as_object().unwrap();
        let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["created_at", "id", "name"], "a thin event");
        assert!(arrival["verified"].is_null(), "Intergiro signs nothing");
        let id = body["id"].as_str().unwrap();
        let event = sandbox
            .intergiro(Method::GET, &format!("/v3/events/{id}"), &token, None)
            .await;
        assert_eq!(event.status, StatusCode::OK, "{}", event.body);
        assert_eq!(event.body["name"], body["name"]);
        assert_eq!(event.body["payload"]["individual_id"], "ind-1");
        assert_eq!(event.body["created_at"], body["created_at"]);
    }
    let unknown = sandbox
        .intergiro(Method::GET, "/v3/events/nope", &token, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let anonymous = sandbox
        .send(sandbox.http.get(sandbox.url("/intergiro/v3/events/nope")))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_manual_review_sends_blocked_when_the_control_api_blocks() {
    let sandbox = with_receiver("manual").await;
    let token = sandbox.intergiro_login().await;
    onboard(&sandbox, &token).await;
    let first = inbox(&sandbox, 0).await;
    assert_eq!(first[0]["body"]["name"], "IndividualOnboardingDataProvided");
    let blocked = sandbox
        .post("/__admin/intergiro/individuals/ind-1/block", json!({}))
        .await;
    assert_eq!(blocked.status, StatusCode::OK);
    let next = inbox(&sandbox, first.last().unwrap()["seq"].as_u64().unwrap()).await;
    assert_eq!(next[0]["body"]["name"], "IndividualBlocked");
    // A secret is refused: Intergiro signs nothing.
    let signed = default_without_users_and_rules().replacen(
        "\n  intergiro:\n",
        "\n  intergiro:\n    webhooks: { url: \"inbox:ig\", secret: x }\n",
        1,
    );
    let refused = sandbox.load_scenario(signed).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.to_string().contains("no `secret`"),
        "{}",
        refused.body
    );
}
