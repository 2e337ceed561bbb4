//! Weavr: login tokens, SMS step-up with its retry rules, the stepped-up gate,
//! the Multi profile and idempotency.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::server::wait_until_in_flight;
use crate::support::{Answer, TestSandbox};

const PR: &str = "/payment-run/v1";
const KEY: &str = "weavr-sandbox-key";
const BUYER: &str = "buyer@example.com";

/// The default world with random codes, so a re-issued code differs.
async fn random_otp() -> TestSandbox {
    let yaml = sca_sandbox::DEFAULT_SCENARIO.replace("otp: \"123456\"", "otp: random");
    assert_ne!(yaml, sca_sandbox::DEFAULT_SCENARIO);
    TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await
}

impl TestSandbox {
    pub(crate) async fn weavr(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .post(self.url(&format!("/weavr{path}")))
            .header("api-key", KEY);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    async fn weavr_get(&self, path: &str, token: &str) -> Answer {
        let req = self
            .http
            .get(self.url(&format!("/weavr{path}")))
            .header("api-key", KEY)
            .bearer_auth(token);
        self.send(req).await
    }

    pub(crate) async fn weavr_login(&self, prefix: &str, email: &str) -> String {
        let answer = self
            .weavr(
                &format!("{prefix}/login_with_password"),
                None,
                Some(json!({"email": email, "password": {"value": "Passw0rd!"}})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body["token"].as_str().unwrap().to_owned()
    }

    /// Issues a step-up challenge and returns the code from the outbox.
    pub(crate) async fn weavr_issue(&self, prefix: &str, token: &str) -> String {
        let since = self
            .get("/__admin/sms")
            .await
            .body
            .as_array()
            .map_or(0, |a| a.len());
        let answer = self
            .weavr(
                &format!("{prefix}/stepup/challenges/otp/SMS"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
        let sms = self
            .get(&format!(
                "/__admin/sms?provider=weavr&since={since}&wait=5s"
            ))
            .await
            .body;
        sms.as_array().unwrap().last().unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn weavr_verify(&self, prefix: &str, token: &str, code: &str) -> Answer {
        self.weavr(
            &format!("{prefix}/stepup/challenges/otp/SMS/verify"),
            Some(token),
            Some(json!({ "verificationCode": code })),
        )
        .await
    }
}

fn error_code(answer: &Answer) -> &str {
    answer.body["errorCode"].as_str().unwrap_or_default()
}

fn new_user() -> Value {
    json!({ "name": "Sam", "surname": "Jones", "email": "sam@example.com", "roles": ["CREATOR"] })
}

pub(crate) fn payment_run() -> Value {
    json!({ "description": "September run", "payments": [{
        "paymentAmount": { "currency": "GBP", "amount": 1000 },
        "reference": "INV-0001",
        "supplier": { "name": "Acme Ltd", "bankAccountDetails": { "accountNumber": "12345678", "sortCode": "123456" } },
    }]})
}

#[tokio::test]
async fn every_call_needs_the_api_key_and_every_answer_has_a_request_ref() {
    let sandbox = TestSandbox::start().await;
    let path = sandbox.url("/weavr/payment-run/v1/login_with_password");
    let body = json!({"email": BUYER, "password": {"value": "Passw0rd!"}});
    let missing = sandbox.send(sandbox.http.post(&path).json(&body)).await;
    // Weavr's 401 has no body, only the request-ref.
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body, Value::Null);
    let wrong = sandbox
        .send(
            sandbox
                .http
                .post(&path)
                .header("api-key", "nope")
                .json(&body),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let unknown = sandbox.get("/weavr/payment-run/v1/nothing").await;
    assert!(PR.starts_with("/payment-run"));
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], "NOT_FOUND");
    for answer in [&missing, &wrong, &unknown] {
        assert_eq!(
            answer.headers["request-ref"].len(),
            32,
            "{:?}",
            answer.headers
        );
    }
    let token = sandbox.weavr_login(PR, BUYER).await;
    assert!(token.starts_with("wvr_"));
}

#[tokio::test]
async fn login_answers_the_token_and_who_logged_in() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox
        .weavr(
            &format!("{PR}/login_with_password"),
            None,
            Some(json!({"email": BUYER, "password": {"value": "Passw0rd!"}})),
        )
        .await;
    assert_eq!(answer.body["tokenType"], "AUTH");
    assert_eq!(answer.body["identity"]["type"], "BUYER");
    assert_eq!(answer.body["credentials"]["type"], "ADMIN");
    let bad = sandbox
        .weavr(
            &format!("{PR}/login_with_password"),
            None,
            Some(json!({"email": BUYER})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.body["syntaxErrors"]["invalidFields"][0]["fieldName"],
        "password"
    );
    assert_eq!(
        bad.body["syntaxErrors"]["invalidFields"][0]["error"],
        "REQUIRED"
    );
}

#[tokio::test]
async fn repeated_bad_passwords_lock_the_login_for_thirty_minutes() {
    let sandbox = TestSandbox::start().await;
    let attempt = |password: &'static str| {
        let sandbox = &sandbox;
        async move {
            sandbox
                .weavr(
                    &format!("{PR}/login_with_password"),
                    None,
                    Some(json!({"email": BUYER, "password": {"value": password}})),
                )
                .await
        }
    };
    // A wrong password is a body-less 401. Payment Run declares no 423, so
    // a locked login answers its `default` body, `{code, message}`.
    for _ in 0..4 {
        let answer = attempt("wrong").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body, Value::Null);
    }
    let locked = attempt("wrong").await;
    assert_eq!(locked.status, StatusCode::LOCKED);
    assert_eq!(locked.body["code"], "LOCKED", "{}", locked.body);
    assert!(locked.body["message"].is_string());
    assert_eq!(
        attempt("Passw0rd!").await.status,
        StatusCode::LOCKED,
        "locked even for the right password"
    );
    sandbox.advance("29m59s").await;
    assert_eq!(attempt("Passw0rd!").await.status, StatusCode::LOCKED);
    sandbox.advance("1s").await;
    assert_eq!(attempt("Passw0rd!").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_lives_five_minutes_from_its_last_activity() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    let path = format!("{PR}/payment_runs/000000000000000000000000");
    let touch = || sandbox.weavr_get(&path, &token);
    sandbox.advance("4m59s").await;
    assert_eq!(touch().await.status, StatusCode::NOT_FOUND, "alive at 4:59");
    sandbox.advance("4m59s").await;
    assert_eq!(
        touch().await.status,
        StatusCode::NOT_FOUND,
        "activity reset the timer"
    );
    sandbox.advance("5m").await;
    let expired = touch().await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "expired at 5:00");
    assert_eq!(expired.body, Value::Null);
}

#[tokio::test]
async fn logout_ends_the_token() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    let out = sandbox
        .weavr(&format!("{PR}/logout"), Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = sandbox
        .weavr_get(&format!("{PR}/linked_accounts"), &token)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // Logging out is an authenticated call too.
    let again = sandbox
        .weavr(&format!("{PR}/logout"), Some(&token), None)
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.body, Value::Null);
    let anonymous = sandbox.weavr(&format!("{PR}/logout"), None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_retry_timeline_runs_on_the_sandbox_clock() {
    let sandbox = random_otp().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    let first = sandbox.weavr_issue(PR, &token).await;
    let sms = sandbox.get("/__admin/sms?provider=weavr").await.body;
    assert_eq!(sms[0]["to"], "+447700900123");
    assert_eq!(sms[0]["purpose"], "stepup");

    sandbox.advance("14s").await;
    let early = sandbox
        .weavr(
            &format!("{PR}/stepup/challenges/otp/SMS"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(error_code(&early), "RETRY_IN_15SEC");

    sandbox.advance("1s").await;
    let second = sandbox.weavr_issue(PR, &token).await;
    assert_ne!(first, second, "the retry sends a new, different code");

    let old = sandbox.weavr_verify(PR, &token, &first).await;
    assert_eq!(old.status, StatusCode::CONFLICT);
    assert_eq!(
        error_code(&old),
        "VERIFICATION_CODE_INVALID",
        "only the newest code works"
    );

    sandbox.advance("15s").await;
    let again = sandbox
        .weavr(
            &format!("{PR}/stepup/challenges/otp/SMS"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{:?}", again.body);
    assert_eq!(error_code(&again), "INVALID_REQUEST");
    sandbox.advance("15s").await;
    // The refused retry issued nothing and killed nothing: the open
    // challenge's code still works (a logout is for a new challenge).
    let open = sandbox.weavr_verify(PR, &token, &second).await;
    assert_eq!(open.status, StatusCode::NO_CONTENT, "{:?}", open.body);
    let still = sandbox
        .weavr(
            &format!("{PR}/stepup/challenges/otp/SMS"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(still.status, StatusCode::BAD_REQUEST, "until a new login");

    let fresh = sandbox.weavr_login(PR, BUYER).await;
    let code = sandbox.weavr_issue(PR, &fresh).await;
    assert_eq!(
        sandbox.weavr_verify(PR, &fresh, &code).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn wrong_codes_count_down_and_leave_the_token_valid_but_not_stepped_up() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    let code = sandbox.weavr_issue(PR, &token).await;
    assert_eq!(code, "123456", "the sandbox's fixed code");
    let codes: Vec<String> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            let answer = sandbox.weavr_verify(PR, &token, "000000").await;
            assert_eq!(answer.status, StatusCode::CONFLICT);
            out.push(error_code(&answer).to_owned());
        }
        out
    };
    assert_eq!(
        codes,
        [
            "VERIFICATION_CODE_INVALID",
            "ONE_CHALLENGE_LIMIT_REMAINING",
            "CHALLENGE_LIMIT_EXCEEDED"
        ]
    );
    let dead = sandbox.weavr_verify(PR, &token, "123456").await;
    assert_eq!(error_code(&dead), "CHALLENGE_LIMIT_EXCEEDED");
    let gated = sandbox
        .weavr(&format!("{PR}/users"), Some(&token), Some(new_user()))
        .await;
    assert_eq!(gated.status, StatusCode::FORBIDDEN);
    assert_eq!(gated.body, json!({"errorCode": "STEP_UP_REQUIRED"}));
}

#[tokio::test]
async fn a_challenge_expires_after_five_minutes() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    let code = sandbox.weavr_issue(PR, &token).await;
    sandbox.advance("4m").await;
    // Activity keeps the token alive while the challenge ages.
    sandbox
        .weavr_get(&format!("{PR}/linked_accounts"), &token)
        .await;
    sandbox.advance("1m").await;
    let late = sandbox.weavr_verify(PR, &token, &code).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(error_code(&late), "VERIFICATION_CODE_EXPIRED");
}

#[tokio::test]
async fn verify_validates_its_body_like_weavr() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    for (body, error) in [
        (json!({"verificationCode": "12345"}), "SIZE"),
        (json!({"verificationCode": "12345a"}), "REGEX"),
        (json!({}), "REQUIRED"),
        (json!({"verificationCode": 123456}), "HAS_TEXT"),
    ] {
        let answer = sandbox
            .weavr(
                &format!("{PR}/stepup/challenges/otp/SMS/verify"),
                Some(&token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        let field = &answer.body["syntaxErrors"]["invalidFields"][0];
        assert_eq!(
            field["fieldName"], "verificationCode",
            "{body}: {:?}",
            answer.body
        );
        assert_eq!(field["error"], error, "{body}");
        assert!(answer.body["message"].is_string());
    }
    let none = sandbox.weavr_verify(PR, &token, "123456").await;
    assert_eq!(
        error_code(&none),
        "STATE_INVALID",
        "no challenge was issued"
    );
    let channel = sandbox
        .weavr(
            &format!("{PR}/stepup/challenges/otp/EMAIL"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(error_code(&channel), "CHANNEL_NOT_SUPPORTED");
}

#[tokio::test]
async fn a_user_without_a_factor_enrols_one_first() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, "new@example.com").await;
    let refused = sandbox
        .weavr(
            &format!("{PR}/stepup/challenges/otp/SMS"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(error_code(&refused), "CHANNEL_NOT_REGISTERED");
    let enrol = sandbox
        .weavr(
            &format!("{PR}/authentication_factors/otp/SMS"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(enrol.status, StatusCode::NO_CONTENT);
    let sms = sandbox.get("/__admin/sms?to=%2B447700900124").await.body;
    assert_eq!(sms[0]["purpose"], "enrolment");
    let wrong = sandbox
        .weavr(
            &format!("{PR}/authentication_factors/otp/SMS/verify"),
            Some(&token),
            Some(json!({"verificationCode": "999999"})),
        )
        .await;
    assert_eq!(error_code(&wrong), "VERIFICATION_CODE_INVALID");
    let right = sandbox
        .weavr(
            &format!("{PR}/authentication_factors/otp/SMS/verify"),
            Some(&token),
            Some(json!({"verificationCode": "123456"})),
        )
        .await;
    assert_eq!(right.status, StatusCode::NO_CONTENT);
    let twice = sandbox
        .weavr(
            &format!("{PR}/authentication_factors/otp/SMS"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(error_code(&twice), "CHANNEL_ALREADY_REGISTERED");
    let code = sandbox.weavr_issue(PR, &token).await;
    assert_eq!(
        sandbox.weavr_verify(PR, &token, &code).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_payment_run_is_queued_confirmed_and_authorised_by_its_own_challenge() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    // The description's only 403 for these is INSUFFICIENT_PERMISSIONS: a
    // token that is not stepped up creates, confirms and reads.
    let accounts = sandbox
        .weavr_get(&format!("{PR}/linked_accounts"), &token)
        .await;
    assert_eq!(accounts.status, StatusCode::OK);
    assert_eq!(accounts.body["linkedAccounts"][0]["currency"], "GBP");

    let mut bad = payment_run();
    bad["payments"][0]["reference"] = json!("not valid!");
    let invalid = sandbox
        .weavr(&format!("{PR}/payment_runs"), Some(&token), Some(bad))
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        invalid.body["syntaxErrors"]["invalidFields"][0]["fieldName"],
        "payments[0].reference"
    );

    let created = sandbox
        .weavr(
            &format!("{PR}/payment_runs"),
            Some(&token),
            Some(payment_run()),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    assert_eq!(created.body["status"], "QUEUED");
    assert_eq!(created.body["payments"][0]["status"], "QUEUED");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    let run = sandbox
        .weavr_get(&format!("{PR}/payment_runs/{id}"), &token)
        .await;
    assert_eq!(run.body["status"], "PENDING_CONFIRMATION");
    let confirmed = sandbox
        .weavr(
            &format!("{PR}/payment_runs/{id}/confirm"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert_eq!(confirmed.body["status"], "PENDING_CHALLENGE");
    let twice = sandbox
        .weavr(
            &format!("{PR}/payment_runs/{id}/confirm"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(error_code(&twice), "PAYMENT_RUN_ALREADY_CONFIRMED");

    // The run's own SCA, through the sandbox simulator path.
    let sca = format!("/payment-run/simulate/v1/payment_run_sca/{id}/challenges/otp/SMS");
    assert_eq!(
        sandbox.weavr(&sca, Some(&token), None).await.status,
        StatusCode::NO_CONTENT
    );
    // The simulated SCA's description asks only for some text: a short
    // code is a wrong one, not a malformed one.
    for (code, answer) in [
        ("000000", "PAYMENT_RUN_SCA_CHALLENGE_VERIFY_FAILED"),
        ("1", "ONE_CHALLENGE_LIMIT_REMAINING"),
    ] {
        let wrong = sandbox
            .weavr(
                &format!("{sca}/verify"),
                Some(&token),
                Some(json!({ "verificationCode": code })),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::CONFLICT, "{code}");
        assert_eq!(error_code(&wrong), answer, "{code}: {:?}", wrong.body);
    }
    let right = sandbox
        .weavr(
            &format!("{sca}/verify"),
            Some(&token),
            Some(json!({"verificationCode": "123456"})),
        )
        .await;
    assert_eq!(right.status, StatusCode::NO_CONTENT);
    let run = sandbox
        .weavr_get(&format!("{PR}/payment_runs/{id}"), &token)
        .await;
    assert_eq!(run.body["status"], "PENDING_FUNDING");
    assert_eq!(run.body["payments"][0]["status"], "PENDING_FUNDING");

    // The transaction's challenge did not step the token up.
    let gated = sandbox
        .weavr(&format!("{PR}/users"), Some(&token), Some(new_user()))
        .await;
    assert_eq!(error_code(&gated), "STEP_UP_REQUIRED");
}

#[tokio::test]
async fn the_multi_profile_answers_with_its_own_codes() {
    let sandbox = random_otp().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let on_other = sandbox
        .weavr_get(&format!("{PR}/linked_accounts"), &token)
        .await;
    assert_eq!(
        on_other.status,
        StatusCode::UNAUTHORIZED,
        "a Multi token is not a Payment Run token"
    );

    let me = sandbox
        .weavr(
            "/multi/login_with_password",
            None,
            Some(json!({"email": BUYER, "password": {"value": "Passw0rd!"}})),
        )
        .await;
    let identity = me.body["identity"].clone();
    assert_eq!(identity["type"], "CORPORATE");
    let status = |answer: &Answer| {
        answer.body["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let before = sandbox
        .weavr(
            "/multi/access_token",
            Some(&token),
            Some(json!({"identity": identity})),
        )
        .await;
    assert_eq!(status(&before), "STANDARD");
    let gated = sandbox.weavr_get("/multi/managed_accounts", &token).await;
    assert_eq!(error_code(&gated), "STEP_UP_REQUIRED");

    let factors = sandbox
        .weavr_get("/multi/authentication_factors", &token)
        .await;
    assert_eq!(factors.body["factors"][0]["status"], "ACTIVE");
    sandbox.weavr_issue("/multi", &token).await;
    sandbox.advance("15s").await;
    let code = sandbox.weavr_issue("/multi", &token).await;
    sandbox.advance("15s").await;
    let limit = sandbox
        .weavr("/multi/stepup/challenges/otp/SMS", Some(&token), None)
        .await;
    assert_eq!(limit.status, StatusCode::CONFLICT);
    assert_eq!(error_code(&limit), "CHALLENGE_LIMIT_EXCEEDED");

    // The refused retry left the open challenge alone: its code still
    // works. A new challenge needs a new login.
    assert_eq!(
        sandbox.weavr_verify("/multi", &token, &code).await.status,
        StatusCode::NO_CONTENT
    );
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let code2 = sandbox.weavr_issue("/multi", &token).await;
    assert_eq!(
        sandbox.weavr_verify("/multi", &token, &code2).await.status,
        StatusCode::NO_CONTENT
    );
    let again = sandbox.weavr_verify("/multi", &token, &code2).await;
    assert_eq!(error_code(&again), "ALREADY_VERIFIED");
    let after = sandbox
        .weavr(
            "/multi/access_token",
            Some(&token),
            Some(json!({"identity": identity})),
        )
        .await;
    assert_eq!(status(&after), "STEPPED_UP");
    let accounts = sandbox.weavr_get("/multi/managed_accounts", &token).await;
    assert_eq!(accounts.status, StatusCode::OK);
    let stranger = sandbox
        .weavr(
            "/multi/access_token",
            Some(&token),
            Some(json!({"identity": {"type": "CORPORATE", "id": "1"}})),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_idempotency_ref_in_flight_is_refused_and_then_replayed() {
    let sandbox = TestSandbox::with(
        "rules:\n  - when: { operation: weavr.payment_run.create, nth: 1 }\n    delay: 10s\n",
    )
    .await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    let code = sandbox.weavr_issue(PR, &token).await;
    sandbox.weavr_verify(PR, &token, &code).await;
    let post = |reference: &str| {
        sandbox
            .http
            .post(sandbox.url(&format!("/weavr{PR}/payment_runs")))
            .header("api-key", KEY)
            .header("idempotency-ref", reference)
            .bearer_auth(&token)
            .json(&payment_run())
    };
    let first = tokio::spawn(post("ref-1").send());
    wait_until_in_flight(&sandbox, 1).await;
    let repeat = sandbox.send(post("ref-1")).await;
    assert_eq!(repeat.status, StatusCode::CONFLICT);
    assert_eq!(error_code(&repeat), "IDEMPOTENT_REQUEST_IN_PROGRESS");
    sandbox.advance("10s").await;
    let first: Value = first.await.unwrap().unwrap().json().await.unwrap();
    let replayed = sandbox.send(post("ref-1")).await;
    assert_eq!(replayed.status, StatusCode::OK);
    assert_eq!(
        replayed.body["id"], first["id"],
        "the same run, not a second one"
    );
    let other = sandbox.send(post("ref-2")).await;
    assert_ne!(other.body["id"], first["id"]);
    assert_eq!(
        sandbox.get("/__admin/stats").await.body["weavr"]["payment_runs"],
        2
    );
}
