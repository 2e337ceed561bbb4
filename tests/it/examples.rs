//! Every example in `scenarios/` does what its comment says.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::TestSandbox;

async fn example(name: &str) -> TestSandbox {
    let path = format!("{}/scenarios/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_file(&path)).await;
    let active = sandbox.get("/__admin/scenarios").await.body;
    assert_eq!(active["active"]["name"], name);
    sandbox
}

#[test]
fn every_example_parses_and_is_in_the_readme() {
    let readme = include_str!("../../README.md");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        sca_sandbox::Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            readme.contains(&format!("scenarios/{file}")),
            "{file} is not in the README"
        );
        count += 1;
    }
    assert!(count >= 9, "the default and at least 8 examples");
}

#[tokio::test]
async fn slow_sms() {
    let sandbox = example("slow-sms").await;
    let token = sandbox
        .weavr_login("/payment-run/v1", "buyer@example.com")
        .await;
    let stepup = "/payment-run/v1/stepup/challenges/otp/SMS";
    sandbox.weavr(stepup, Some(&token), None).await;
    sandbox.advance("15s").await;
    assert_eq!(sandbox.sms_count().await, 0);
    sandbox.advance("5s").await;
    assert_eq!(sandbox.sms_count().await, 1);
}

#[tokio::test]
async fn sms_never_arrives() {
    let sandbox = example("sms-never-arrives").await;
    let token = sandbox.solaris_token().await;
    let created = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/sms",
            &token,
            Some(json!({"person_id": "person-1"})),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    sandbox.advance("5m").await;
    assert_eq!(sandbox.sms_count().await, 0);
    let path = format!("/v1/mfa/challenges/sms/{id}");
    let late = sandbox
        .solaris(Method::PUT, &path, &token, Some(json!({"token": "212212"})))
        .await;
    assert!(late.status.is_client_error(), "{:?}", late.body);
    assert_eq!(
        sandbox
            .post("/__admin/sms", json!({"to": "+1", "text": "hi"}))
            .await
            .status,
        StatusCode::CREATED,
        "other SMS arrive"
    );
}

#[tokio::test]
async fn consent_declined() {
    let sandbox = example("consent-declined").await;
    let token = sandbox.intergiro_login().await;
    let held = sandbox.pay_iban(&token, "r1", "Acme").await;
    assert_eq!(held.status, StatusCode::PRECONDITION_FAILED);
    let id = held.body["consent"]["id"].as_str().unwrap().to_owned();
    sandbox
        .intergiro(
            Method::POST,
            &format!("/v3/consents/{id}"),
            &token,
            Some(json!({"return_url": "https://shop.example.com/done"})),
        )
        .await;
    sandbox.advance("3s").await;
    let refused = sandbox.pay_iban(&token, "r1", "Acme").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.body["type"], "consent_declined");
}

#[tokio::test]
async fn shine_ignored() {
    let sandbox = example("shine-ignored").await;
    let id = sandbox.shine_create_id().await;
    for _ in 0..3 {
        sandbox.advance("59s").await;
        assert_eq!(
            sandbox.shine_poll(&id).await.body["data"]["status"],
            "PENDING"
        );
    }
    sandbox.advance("3s").await;
    // Expired: still PENDING on the wire, past expiresAt, and no longer
    // confirmable.
    assert_eq!(
        sandbox.shine_poll(&id).await.body["data"]["status"],
        "PENDING"
    );
    let late = sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/confirm"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(late.status, reqwest::StatusCode::CONFLICT);
}

#[tokio::test]
async fn flaky_solaris() {
    let sandbox = example("flaky-solaris").await;
    let token = sandbox.solaris_token().await;
    let id = sandbox.transfer(&token, 100).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let step = |verb: &'static str, body: Value| {
        let (sandbox, token, id) = (&sandbox, &token, &id);
        async move {
            sandbox
                .solaris(
                    Method::POST,
                    &format!("/v1/change_requests/{id}/{verb}"),
                    token,
                    Some(body),
                )
                .await
        }
    };
    step(
        "authorize",
        json!({"person_id": "person-1", "delivery_method": "static"}),
    )
    .await;
    let tan = json!({"person_id": "person-1", "tan": "212212"});
    let first = step("confirm", tan.clone()).await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.body["errors"][0]["code"], "service_unavailable");
    assert_eq!(first.headers["retry-after"], "1");
    let retry = step("confirm", tan).await;
    assert_eq!(retry.body["status"], "COMPLETED", "{:?}", retry.body);
}

#[tokio::test]
async fn thredd_pm_silent() {
    let sandbox = example("thredd-pm-silent").await;
    let id = sandbox.start_3ds(812_561_666).await;
    sandbox.advance("30s").await;
    let session = sandbox.session(&id).await;
    assert_eq!(session["outcome"], "TIMEOUT", "{session}");
}

#[tokio::test]
async fn thredd_stepup_sms() {
    let sandbox = example("thredd-stepup-sms").await;
    let id = sandbox.start_3ds(812_561_666).await;
    sandbox.advance("1s").await;
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_OTP");
    sandbox.advance("4s").await;
    assert_eq!(sandbox.sms_count().await, 0);
    sandbox.advance("1s").await;
    let sms = sandbox.get("/__admin/sms?to=%2B447700900456").await.body;
    let entered = sandbox
        .post(
            &format!("/__admin/thredd/authentications/{id}/otp"),
            json!({ "code": sms[0]["code"] }),
        )
        .await;
    assert_eq!(entered.body["state"], "AUTHENTICATED");
}

#[tokio::test]
async fn weavr_lockout() {
    let sandbox = example("weavr-lockout").await;
    let login = |password: &'static str| {
        let sandbox = &sandbox;
        async move {
            sandbox
                .weavr(
                    "/payment-run/v1/login_with_password",
                    None,
                    Some(json!({"email": "buyer@example.com", "password": {"value": password}})),
                )
                .await
                .status
        }
    };
    assert_eq!(login("wrong").await, StatusCode::UNAUTHORIZED);
    assert_eq!(login("wrong").await, StatusCode::UNAUTHORIZED);
    assert_eq!(login("wrong").await, StatusCode::LOCKED);
    sandbox.advance("59m").await;
    assert_eq!(login("Passw0rd!").await, StatusCode::LOCKED);
    sandbox.advance("1m").await;
    assert_eq!(login("Passw0rd!").await, StatusCode::OK);
}
