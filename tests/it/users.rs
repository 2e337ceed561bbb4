//! The simulated users of a scenario: late and lost SMS, one-time codes, and
//! the program manager Thredd calls, all on the sandbox clock.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::TestSandbox;

const STEPUP: &str = "/payment-run/v1/stepup/challenges/otp/SMS";

impl TestSandbox {
    pub(crate) async fn sms_count(&self) -> usize {
        self.get("/__admin/sms")
            .await
            .body
            .as_array()
            .unwrap()
            .len()
    }

    pub(crate) async fn event_types(&self) -> Vec<String> {
        let events = self.get("/__admin/events").await.body;
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }

    pub(crate) async fn start_3ds(&self, pubtoken: u64) -> String {
        let answer = self
            .post(
                "/__admin/thredd/authentications",
                json!({"pubtoken": pubtoken, "amount": 1000, "currency": "GBP"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn sms_can_arrive_late_on_the_sandbox_clock() {
    let sandbox = TestSandbox::with("users:\n  sms: { deliver_after: 20s }\n").await;
    let token = sandbox
        .weavr_login("/payment-run/v1", "buyer@example.com")
        .await;
    let issued = sandbox.weavr(STEPUP, Some(&token), None).await;
    assert_eq!(issued.status, StatusCode::NO_CONTENT);
    assert!(sandbox
        .event_types()
        .await
        .contains(&"sms.delayed".to_owned()));
    assert_eq!(sandbox.sms_count().await, 0);
    sandbox.advance("19s").await;
    assert_eq!(sandbox.sms_count().await, 0, "not before 20 s");
    sandbox.advance("1s").await;
    let sms = sandbox.get("/__admin/sms").await.body;
    assert_eq!(sms.as_array().unwrap().len(), 1, "{sms}");
    assert_eq!(sms[0]["code"], "123456");
    let now = sandbox.get("/__admin/clock").await.body["now"].clone();
    let millis = |v: &Value| v.as_str().unwrap()[..23].to_owned();
    assert_eq!(
        millis(&sms[0]["sent_at"]),
        millis(&now),
        "stamped when it arrived"
    );
    let verified = sandbox
        .weavr_verify("/payment-run/v1", &token, "123456")
        .await;
    assert_eq!(
        verified.status,
        StatusCode::NO_CONTENT,
        "{:?}",
        verified.body
    );
}

#[tokio::test]
async fn one_providers_sms_can_be_lost_while_others_arrive() {
    let sandbox = TestSandbox::with("users:\n  weavr: { sms: { deliver_after: never } }\n").await;
    let token = sandbox
        .weavr_login("/payment-run/v1", "buyer@example.com")
        .await;
    let issued = sandbox.weavr(STEPUP, Some(&token), None).await;
    assert_eq!(issued.status, StatusCode::NO_CONTENT);
    sandbox.advance("1h").await;
    assert_eq!(sandbox.sms_count().await, 0);
    assert!(sandbox.event_types().await.contains(&"sms.lost".to_owned()));
    let solaris = sandbox.solaris_token().await;
    let challenge = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/sms",
            &solaris,
            Some(json!({"person_id": "person-1"})),
        )
        .await;
    assert_eq!(challenge.status, StatusCode::CREATED);
    assert_eq!(sandbox.sms_count().await, 1, "Solaris' SMS still arrive");
}

#[tokio::test]
async fn otp_blocks_choose_weavr_and_solaris_codes() {
    let sandbox =
        TestSandbox::with("users:\n  weavr: { otp: \"654321\" }\n  solaris: { otp: \"111111\" }\n")
            .await;
    let token = sandbox
        .weavr_login("/payment-run/v1", "buyer@example.com")
        .await;
    sandbox.weavr(STEPUP, Some(&token), None).await;
    let solaris = sandbox.solaris_token().await;
    for person in ["person-1", "person-2"] {
        sandbox
            .solaris(
                Method::POST,
                "/v1/mfa/challenges/sms",
                &solaris,
                Some(json!({ "person_id": person })),
            )
            .await;
    }
    let codes: Vec<Value> = sandbox
        .get("/__admin/sms")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].clone())
        .collect();
    assert_eq!(
        codes,
        vec![json!("654321"), json!("111111"), json!("111111")]
    );
    let random = TestSandbox::with("users:\n  weavr: { otp: random }\n").await;
    let token = random
        .weavr_login("/payment-run/v1", "buyer@example.com")
        .await;
    random.weavr(STEPUP, Some(&token), None).await;
    let code = random.get("/__admin/sms").await.body[0]["code"].clone();
    assert_ne!(code, json!("123456"));
    let bad = sca_sandbox::Scenario::parse("t", "users:\n  weavr: { otp: \"12\" }\n").unwrap_err();
    assert!(bad.message.contains("six digits"), "{bad}");
}

#[tokio::test]
async fn a_simulated_pm_validates_after_its_delay() {
    let sandbox =
        TestSandbox::with("users:\n  thredd: { pm: { decide: success, after: 2s } }\n").await;
    let id = sandbox.start_3ds(812_561_666).await;
    let session = sandbox.session(&id).await;
    assert_eq!(session["state"], "AWAITING_VALIDATION");
    assert_eq!(session["delivery"]["state"], "simulated");
    sandbox.advance("1s").await;
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_VALIDATION");
    sandbox.advance("1s").await;
    let session = sandbox.session(&id).await;
    assert_eq!(
        (
            &session["state"],
            &session["outcome"],
            &session["pm_reference_id"]
        ),
        (
            &json!("AUTHENTICATED"),
            &json!("SUCCESS"),
            &json!("SANDBOX-PM")
        )
    );
}

#[tokio::test]
async fn a_simulated_pm_that_answers_too_late_or_never_times_out() {
    for pm in ["{ decide: success, after: 31s }", "{ decide: ignore }"] {
        let sandbox = TestSandbox::with(&format!("users:\n  thredd: {{ pm: {pm} }}\n")).await;
        let id = sandbox.start_3ds(812_561_666).await;
        sandbox.advance("29s").await;
        assert_eq!(sandbox.session(&id).await["state"], "AWAITING_VALIDATION");
        sandbox.advance("5s").await;
        let session = sandbox.session(&id).await;
        assert_eq!(session["outcome"], "TIMEOUT", "{pm}: {session}");
    }
}

#[tokio::test]
async fn a_simulated_stepup_sends_the_fallback_sms_as_the_users_block_says() {
    let sandbox = TestSandbox::with(
        "users:\n  thredd: { pm: { decide: stepup }, sms: { deliver_after: 10s } }\n",
    )
    .await;
    let id = sandbox.start_3ds(812_561_666).await;
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_OTP");
    assert_eq!(sandbox.sms_count().await, 0);
    sandbox.advance("10s").await;
    let sms = sandbox.get("/__admin/sms?to=%2B447700900456").await.body;
    let code = sms[0]["code"].as_str().unwrap().to_owned();
    let entered = sandbox
        .post(
            &format!("/__admin/thredd/authentications/{id}/otp"),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(entered.body["state"], "AUTHENTICATED");
}
