//! The integration report: each rule broken through the HTTP API is found in
//! it, linked to its request in the journal; a client that follows the
//! guides finds none; and the report reads as JSON, JUnit XML and Markdown.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::TestSandbox;
use crate::weavr_reference::BUYER;

impl TestSandbox {
    pub(crate) async fn report(&self) -> Value {
        let report = self.get("/__admin/report").await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.body);
        report.body
    }

    /// The deviations of `rule`, each checked to link to a journal entry of
    /// one of the rule's operations.
    pub(crate) async fn deviations_of(&self, rule: &str) -> Vec<Value> {
        let report = self.report().await;
        let journal = self.get("/__admin/journal").await.body;
        let found: Vec<Value> = report["deviations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"] == rule)
            .cloned()
            .collect();
        for d in found.iter().filter(|d| !d["request"].is_null()) {
            let entry = journal
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["seq"] == d["request"])
                .unwrap_or_else(|| panic!("{d} links to no journal entry"));
            assert_eq!(entry["operation"], d["operation"], "{d}");
            let message = d["message"].as_str().unwrap();
            assert!(
                message.starts_with("The client") || message.starts_with("The program manager"),
                "{message}"
            );
            assert!(!d["source"].as_str().unwrap().is_empty());
        }
        found
    }

    /// Asserts `rule` has `count` deviations, each linked to its request.
    pub(crate) async fn expect_deviations(&self, rule: &str, count: usize) {
        let found = self.deviations_of(rule).await;
        assert_eq!(found.len(), count, "{rule}: {found:?}");
    }

    /// The report has no deviation at all.
    pub(crate) async fn clean(&self) {
        let report = self.report().await;
        assert_eq!(report["deviations"], json!([]), "{report}");
        assert_eq!(
            (report["errors"].clone(), report["warnings"].clone()),
            (json!(0), json!(0))
        );
    }
}

#[tokio::test]
async fn weavr_retries_too_soon_and_twice_and_calls_without_a_step_up() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let gated = sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    assert_eq!(gated.status, StatusCode::FORBIDDEN);
    let missing = sandbox.deviations_of("weavr.token.step_up_missing").await;
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["severity"], "error");
    assert_eq!(missing[0]["provider"], "weavr");

    sandbox.weavr_issue("/multi", &token).await;
    let early = sandbox
        .weavr("/multi/stepup/challenges/otp/SMS", Some(&token), None)
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    sandbox
        .expect_deviations("weavr.stepup.retry_within_15s", 1)
        .await;
    sandbox.advance("15s").await;
    sandbox.weavr_issue("/multi", &token).await;
    assert!(
        sandbox
            .deviations_of("weavr.stepup.second_retry")
            .await
            .is_empty(),
        "one retry is allowed"
    );
    sandbox.advance("15s").await;
    sandbox
        .weavr("/multi/stepup/challenges/otp/SMS", Some(&token), None)
        .await;
    sandbox
        .expect_deviations("weavr.stepup.second_retry", 1)
        .await;

    // Idle for 5 minutes, the token is dead: using it is a deviation, and a
    // token that never was is not.
    sandbox.advance("6m").await;
    sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", "wvr_never", None)
        .await;
    sandbox.expect_deviations("weavr.token.expired", 1).await;

    let fresh = sandbox.weavr_login("/multi", BUYER).await;
    let bad = sandbox
        .weavr_call(
            Method::POST,
            "/multi/sends",
            &fresh,
            Some(json!({ "profileId": "x" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    sandbox.expect_deviations("weavr.request.invalid", 1).await;

    let report = sandbox.report().await;
    assert_eq!(report["errors"], 5, "{report}");
    let rules: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"weavr.stepup.retry_within_15s"),
        "{rules:?}"
    );
}

#[tokio::test]
async fn a_weavr_client_that_follows_the_guide_leaves_no_deviation() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    sandbox.weavr_issue("/multi", &token).await;
    // The SMS did not come: one retry, 15 s later, as the guide allows.
    sandbox.advance("15s").await;
    let code = sandbox.weavr_issue("/multi", &token).await;
    let verified = sandbox.weavr_verify("/multi", &token, &code).await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT);
    let accounts = sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    assert_eq!(accounts.status, StatusCode::OK);
    sandbox.clean().await;
    // The rules it exercised are listed, each with no deviation.
    let report = sandbox.report().await;
    let exercised: Vec<&Value> = report["rules"].as_array().unwrap().iter().collect();
    assert!(exercised
        .iter()
        .any(|r| r["rule"] == "weavr.stepup.retry_within_15s" && r["count"] == 0));
}

#[tokio::test]
async fn the_report_reads_as_junit_and_markdown_and_rules_are_tuned_per_scenario() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    sandbox.weavr_issue("/multi", &token).await;
    let junit = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/report?format=junit")),
        )
        .await;
    assert_eq!(junit.status, StatusCode::OK);
    assert!(junit.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/xml"));
    let xml = sandbox
        .http
        .get(sandbox.url("/__admin/report?format=junit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testsuites name=\"sca-sandbox\""), "{xml}");
    assert!(
        xml.contains("name=\"weavr.token.step_up_missing\">"),
        "{xml}"
    );
    assert!(xml.contains("<failure type=\"error\""), "{xml}");
    assert!(
        xml.contains("name=\"weavr.stepup.retry_within_15s\"></testcase>"),
        "exercised and kept: a passing case\n{xml}"
    );
    let md = sandbox
        .http
        .get(sandbox.url("/__admin/report?format=markdown"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        md.contains("| `weavr.token.step_up_missing` | error | 1 |"),
        "{md}"
    );
    let bad = sandbox.get("/__admin/report?format=pdf").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Tuned: one rule ignored, another made a warning.
    let tuned = format!(
        "{}\nsettings:\n  report:\n    ignore: [weavr.token.step_up_missing]\n    severity: {{ weavr.stepup.retry_within_15s: warning }}\n",
        "version: 1\nname: tuned"
    );
    let loaded = sandbox.load_scenario(tuned).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let token = sandbox.weavr_login("/multi", BUYER).await;
    sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    sandbox.weavr_issue("/multi", &token).await;
    sandbox
        .weavr("/multi/stepup/challenges/otp/SMS", Some(&token), None)
        .await;
    let report = sandbox.report().await;
    assert_eq!(
        (report["errors"].clone(), report["warnings"].clone()),
        (json!(0), json!(1)),
        "{report}"
    );
    assert_eq!(report["deviations"][0]["severity"], "warning");
    let unknown = sandbox
        .load_scenario("version: 1\nname: x\nsettings:\n  report:\n    ignore: [weavr.nope]\n")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.to_string().contains("weavr.nope"),
        "{}",
        unknown.body
    );
}

#[tokio::test]
async fn shine_polls_too_fast_and_past_the_end_and_misuses_tokens() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    sandbox.shine_poll(&id).await;
    sandbox.shine_poll(&id).await;
    let fast = sandbox.deviations_of("shine.poll.too_fast").await;
    assert_eq!(fast.len(), 1);
    assert_eq!(fast[0]["severity"], "warning");
    sandbox.advance("1s").await;
    sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/confirm"),
            Value::Null,
        )
        .await;
    let confirmed = sandbox.shine_poll(&id).await;
    let token = confirmed.body["data"]["token"].as_str().unwrap().to_owned();
    sandbox.expect_deviations("shine.poll.too_fast", 1).await;
    sandbox.advance("1s").await;
    sandbox.shine_poll(&id).await;
    sandbox.expect_deviations("shine.poll.after_final", 1).await;

    let body = crate::support::transfer_body();
    let other = json!({ "amount": 999, "bankTransferRecipientId": "recipient-1", "uid": "user-1" });
    let mismatch = sandbox.shine_transfer(&token, other).await;
    assert_eq!(mismatch.status, StatusCode::FORBIDDEN);
    sandbox.expect_deviations("shine.token.mismatch", 1).await;
    assert_eq!(
        sandbox.shine_transfer(&token, body.clone()).await.status,
        StatusCode::CREATED
    );
    sandbox.shine_transfer(&token, body.clone()).await;
    sandbox.expect_deviations("shine.token.reused", 1).await;
    let late = sandbox.shine_token().await;
    sandbox.advance("61s").await;
    sandbox.shine_transfer(&late, body.clone()).await;
    sandbox.expect_deviations("shine.token.expired", 1).await;
    let without = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/shine/v3/bank/transfers"))
                .bearer_auth("shine-user-1-token")
                .json(&body),
        )
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    sandbox
        .expect_deviations("shine.transfer.without_action_request", 1)
        .await;
}

#[tokio::test]
async fn a_shine_client_that_follows_the_guide_leaves_no_deviation() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    sandbox.shine_poll(&id).await;
    sandbox.advance("1s").await;
    sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/confirm"),
            Value::Null,
        )
        .await;
    let confirmed = sandbox.shine_poll(&id).await;
    let token = confirmed.body["data"]["token"].as_str().unwrap().to_owned();
    let created = sandbox
        .shine_transfer(&token, crate::support::transfer_body())
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    sandbox.clean().await;
}

/// A transfer's change request, and its authorize and confirm calls.
async fn solaris_change(sandbox: &TestSandbox, token: &str) -> String {
    let held = sandbox.transfer(token, 100).await;
    held.body["id"].as_str().unwrap().to_owned()
}

async fn solaris_authorize(
    sandbox: &TestSandbox,
    token: &str,
    id: &str,
    body: Value,
) -> crate::support::Answer {
    sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/authorize"),
            token,
            Some(body),
        )
        .await
}

async fn solaris_confirm(
    sandbox: &TestSandbox,
    token: &str,
    id: &str,
    tan: &str,
) -> crate::support::Answer {
    sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/confirm"),
            token,
            Some(json!({"person_id": "person-1", "tan": tan})),
        )
        .await
}

fn static_tan() -> Value {
    json!({"person_id": "person-1", "delivery_method": "static"})
}

#[tokio::test]
async fn solaris_change_requests_confirmed_late_after_failing_or_twice() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let late = solaris_change(&sandbox, &token).await;
    sandbox.advance("6m").await;
    let token = sandbox.solaris_token().await;
    solaris_authorize(&sandbox, &token, &late, static_tan()).await;
    sandbox
        .expect_deviations("solaris.change_request.expired", 1)
        .await;

    let failed = solaris_change(&sandbox, &token).await;
    solaris_authorize(&sandbox, &token, &failed, static_tan()).await;
    let wrong = solaris_confirm(&sandbox, &token, &failed, "000000").await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(sandbox
        .deviations_of("solaris.change_request.failed")
        .await
        .is_empty());
    solaris_confirm(&sandbox, &token, &failed, "212212").await;
    sandbox
        .expect_deviations("solaris.change_request.failed", 1)
        .await;

    let twice = solaris_change(&sandbox, &token).await;
    solaris_authorize(&sandbox, &token, &twice, static_tan()).await;
    solaris_confirm(&sandbox, &token, &twice, "212212").await;
    solaris_confirm(&sandbox, &token, &twice, "212212").await;
    let done = sandbox
        .deviations_of("solaris.change_request.completed")
        .await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["severity"], "warning");
}

#[tokio::test]
async fn solaris_devices_sign_with_the_wrong_key_and_bind_past_the_limit() {
    let base = crate::support::default_without_users_and_rules();
    let yaml = base.replacen("max_devices: 5", "max_devices: 1", 1);
    assert_ne!(yaml, base);
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let token = sandbox.solaris_token().await;
    let phone = crate::solaris::TestDevice::new(7);
    let device = sandbox.bind(&token, &phone, "unrestricted").await;
    let id = solaris_change(&sandbox, &token).await;
    let refused = solaris_authorize(
        &sandbox,
        &token,
        &id,
        json!({"person_id": "person-1", "delivery_method": "device_signing", "device_id": device}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    sandbox
        .expect_deviations("solaris.device.wrong_key_purpose", 1)
        .await;
    let second = crate::solaris::TestDevice::new(8);
    let over = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/devices",
            &token,
            Some(json!({"person_id": "person-1", "key": second.public_hex(), "key_type": "ecdsa-p256", "key_purpose": "restricted", "name": "Second"})),
        )
        .await;
    assert_eq!(over.status, StatusCode::CONFLICT, "{}", over.body);
    sandbox
        .expect_deviations("solaris.device.too_many", 1)
        .await;
}

#[tokio::test]
async fn a_solaris_client_that_follows_the_guide_leaves_no_deviation() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let id = solaris_change(&sandbox, &token).await;
    solaris_authorize(&sandbox, &token, &id, static_tan()).await;
    let done = solaris_confirm(&sandbox, &token, &id, "212212").await;
    assert_eq!(done.body["status"], "COMPLETED");
    sandbox.clean().await;
}

#[tokio::test]
async fn intergiro_retries_while_pending_skips_the_redirect_and_comes_back_late() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let first = sandbox.pay_iban(&token, "r1", "Jane").await;
    assert_eq!(first.status, StatusCode::PRECONDITION_FAILED);
    sandbox.pay_iban(&token, "r1", "Jane").await;
    let pending = sandbox
        .deviations_of("intergiro.consent.retried_while_pending")
        .await;
    assert_eq!(pending.len(), 1);
    // Approved by the control API, never initiated by the client.
    let id = first.body["consent"]["id"].as_str().unwrap();
    sandbox
        .post(
            &format!("/__admin/intergiro/consents/{id}/approve"),
            json!({}),
        )
        .await;
    let paid = sandbox.pay_iban(&token, "r1", "Jane").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    sandbox
        .expect_deviations("intergiro.consent.not_initiated", 1)
        .await;
    // A consent left to expire, then the action again.
    let second = sandbox.pay_iban(&token, "r2", "Jane").await;
    assert_eq!(second.status, StatusCode::PRECONDITION_FAILED);
    sandbox.advance("16m").await;
    let token = sandbox.intergiro_login().await;
    sandbox.pay_iban(&token, "r2", "Jane").await;
    sandbox
        .expect_deviations("intergiro.consent.expired", 1)
        .await;
    let bad = sandbox
        .intergiro(
            Method::POST,
            "/v3/individuals",
            &token,
            Some(json!({"first_name": null})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    sandbox
        .expect_deviations("intergiro.request.invalid", 1)
        .await;
}

#[tokio::test]
async fn an_intergiro_client_that_follows_the_guide_leaves_no_deviation() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let first = sandbox.pay_iban(&token, "r1", "Jane").await;
    sandbox.approve_on_page(&token, &first.body).await;
    let paid = sandbox.pay_iban(&token, "r1", "Jane").await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    sandbox.clean().await;
}

#[tokio::test]
async fn a_thredd_pm_validates_late_twice_for_another_session_and_steps_up_without_fallback() {
    use crate::thredd::validate_body;
    let sandbox = TestSandbox::start().await;
    let token = sandbox.pm_token().await;
    // The purchase's NotifyInitiateAction goes to a closed port: no 200.
    let id = sandbox
        .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
        .await;
    sandbox.delivery_event(&id).await;
    let missed = sandbox
        .deviations_of("thredd.notify_initiate_action.not_answered")
        .await;
    assert_eq!(missed.len(), 1);
    assert!(
        missed[0]["request"].is_null(),
        "an outbound call has no request"
    );
    assert_eq!(missed[0]["operation"], "thredd.notify_initiate_action.send");
    sandbox
        .notify_validate(
            &token,
            validate_body(
                812_561_666,
                "9b2f4c1e-0d3a-4b6e-8f7a-1c2d3e4f5a6b",
                "SUCCESS",
            ),
        )
        .await;
    sandbox
        .expect_deviations("thredd.notify_validate.mismatch", 1)
        .await;
    sandbox
        .notify_validate(&token, validate_body(812_561_666, &id, "SUCCESS"))
        .await;
    sandbox
        .notify_validate(&token, validate_body(812_561_666, &id, "SUCCESS"))
        .await;
    sandbox
        .expect_deviations("thredd.notify_validate.repeated", 1)
        .await;
    let late = sandbox
        .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
        .await;
    sandbox.advance("31s").await;
    let token = sandbox.pm_token().await;
    sandbox
        .notify_validate(&token, validate_body(812_561_666, &late, "SUCCESS"))
        .await;
    sandbox
        .expect_deviations("thredd.notify_validate.late", 1)
        .await;
    let bare = sandbox
        .purchase(987_654_321, "http://127.0.0.1:9/unused", "30s")
        .await;
    let answered = sandbox
        .notify_validate(&token, validate_body(987_654_321, &bare, "STEPUP"))
        .await;
    assert_eq!(answered.status, StatusCode::OK);
    sandbox
        .expect_deviations("thredd.stepup.no_fallback", 1)
        .await;
}

#[tokio::test]
async fn a_thredd_pm_that_follows_the_api_leaves_no_deviation() {
    use crate::thredd::validate_body;
    let sandbox = TestSandbox::start().await;
    let token = sandbox.pm_token().await;
    let id = sandbox.purchase(812_561_666, "inbox:pm", "30s").await;
    sandbox.delivery_event(&id).await;
    let done = sandbox
        .notify_validate(&token, validate_body(812_561_666, &id, "SUCCESS"))
        .await;
    assert_eq!(done.status, StatusCode::OK);
    sandbox.clean().await;
}

#[tokio::test]
async fn the_dashboard_report_page_links_each_deviation_to_its_request() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    let seq = sandbox.deviations_of("weavr.token.step_up_missing").await[0]["request"]
        .as_u64()
        .unwrap();
    let (status, _, page) = sandbox.page("/report").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-rule=\"weavr.token.step_up_missing\""),
        "{page}"
    );
    assert!(page.contains(&format!("/journal?#req-{seq}")), "{page}");
    let (_, _, journal) = sandbox.page("/journal").await;
    assert!(journal.contains(&format!("id=\"req-{seq}\"")), "{journal}");
}
