//! Solaris: OAuth, SMS challenges, mobile numbers, device binding and signing
//! with keys made in the test, change requests, and the virtual device.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Answer, TestSandbox};

/// A device key pair as a phone would hold it.
pub(crate) struct TestDevice(SigningKey);

impl TestDevice {
    pub(crate) fn new(seed: u8) -> Self {
        Self(SigningKey::from_slice(&[seed.max(1); 32]).unwrap())
    }
    pub(crate) fn public_hex(&self) -> String {
        hex(self.0.verifying_key().to_sec1_point(false).as_bytes())
    }
    /// SHA-256, ECDSA P-256, ASN.1 DER, hex, as Solaris' guide says.
    pub(crate) fn sign(&self, text: &str) -> String {
        let signature: DerSignature = self.0.sign(text.as_bytes());
        hex(signature.as_bytes())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TestSandbox {
    pub(crate) async fn solaris_token(&self) -> String {
        let answer = self
            .post(
                "/solaris/oauth/token",
                json!({"grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "solaris-secret"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn solaris(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.url(&format!("/solaris{path}")))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    pub(crate) async fn last_code(&self, to: &str) -> String {
        let sms = self
            .get(&format!("/__admin/sms?to={}", to.replace('+', "%2B")))
            .await
            .body;
        sms.as_array().unwrap().last().unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Registers and binds `device` for person-1; returns the device id.
    pub(crate) async fn bind(&self, token: &str, device: &TestDevice, purpose: &str) -> String {
        let registered = self
            .solaris(
                Method::POST,
                "/v1/mfa/devices",
                token,
                Some(json!({"person_id": "person-1", "key": device.public_hex(), "key_type": "ecdsa-p256", "key_purpose": purpose, "name": "Test phone"})),
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::ACCEPTED,
            "{:?}",
            registered.body
        );
        let challenge = registered.body["challenge"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let otp = self.last_code("+15550101").await;
        let signed = self
            .solaris(
                Method::PUT,
                &format!("/v1/mfa/challenges/signatures/{challenge}"),
                token,
                Some(json!({"signature": device.sign(&otp)})),
            )
            .await;
        assert_eq!(signed.status, StatusCode::NO_CONTENT, "{:?}", signed.body);
        registered.body["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn transfer(&self, token: &str, cents: i64) -> Answer {
        self.solaris(
            Method::POST,
            "/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer",
            token,
            Some(json!({
                "amount": {"value": cents, "unit": "cents", "currency": "EUR"},
                "recipient_name": "Jane Doe", "recipient_iban": "DE89370400440532013000",
                "description": "Invoice 42",
            })),
        )
        .await
    }
}

/// The error code in either of Solaris' shapes: the list, or the MFA
/// challenges' flat one.
fn code(answer: &Answer) -> &str {
    answer.body["errors"][0]["code"]
        .as_str()
        .or_else(|| answer.body["code"].as_str())
        .unwrap_or_default()
}

/// `POST /oauth2/token` as Solaris' authentication reference gives it.
async fn oauth2(sandbox: &TestSandbox, basic: Option<(&str, &str)>, form: &str) -> Answer {
    let mut req = sandbox
        .http
        .post(sandbox.url("/solaris/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    sandbox.send(req).await
}

#[tokio::test]
async fn the_current_token_endpoint_takes_basic_and_a_form_with_the_partners_scope() {
    let sandbox = TestSandbox::start().await;
    let client = Some(("solaris-client", "solaris-secret"));
    let form = "grant_type=client_credentials&scope=partners";
    let issued = oauth2(&sandbox, client, form).await;
    assert_eq!(issued.status, StatusCode::OK, "{:?}", issued.body);
    assert_eq!(issued.body["expires_in"], 3599);
    assert_eq!(issued.body["scope"], "partners");
    assert_eq!(issued.body["token_type"], "bearer");
    let token = issued.body["access_token"].as_str().unwrap().to_owned();
    let person = sandbox
        .solaris(Method::GET, "/v1/persons/person-1", &token, None)
        .await;
    assert_eq!(person.status, StatusCode::OK);

    // RFC 6749 errors, each for what is wrong.
    let cases = [
        (None, form, StatusCode::UNAUTHORIZED, "invalid_client"),
        (
            Some(("solaris-client", "wrong")),
            form,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            client,
            "grant_type=password&scope=partners",
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            client,
            "scope=partners",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            client,
            "grant_type=client_credentials",
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
    ];
    for (basic, body, status, error) in cases {
        let refused = oauth2(&sandbox, basic, body).await;
        assert_eq!(refused.status, status, "{body}: {:?}", refused.body);
        assert_eq!(refused.body["error"], error, "{body}");
        assert!(refused.body["error_description"].is_string());
    }
    let json = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/solaris/oauth2/token"))
                .basic_auth("solaris-client", Some("solaris-secret"))
                .json(&json!({"grant_type": "client_credentials", "scope": "partners"})),
        )
        .await;
    assert_eq!(json.status, StatusCode::BAD_REQUEST);
    assert_eq!(json.body["error"], "invalid_request");
    let get = sandbox.get("/solaris/oauth2/token").await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn oauth_takes_json_or_basic_and_every_call_needs_the_token() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let basic = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/solaris/oauth/token?grant_type=client_credentials"))
                .basic_auth("solaris-client", Some("solaris-secret")),
        )
        .await;
    assert_eq!(basic.status, StatusCode::CREATED, "{:?}", basic.body);
    assert_eq!(basic.body["token_type"], "Bearer");
    assert_eq!(basic.body["expires_in"], 3599);
    let wrong = sandbox
        .post("/solaris/oauth/token", json!({"grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "x"}))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&wrong), "unauthorized");
    let missing = sandbox.get("/solaris/v1/persons/person-1").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    let error = &missing.body["errors"][0];
    for key in ["id", "status", "code", "title", "detail"] {
        assert!(!error[key].is_null(), "{key} in {error}");
    }
    assert_eq!(
        sandbox
            .solaris(Method::GET, "/v1/persons/person-1", &token, None)
            .await
            .status,
        StatusCode::OK
    );
    sandbox.advance("3599s").await;
    assert_eq!(
        sandbox
            .solaris(Method::GET, "/v1/persons/person-1", &token, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sms_challenges_refuse_wrong_expired_and_reused_codes_each_their_own_way() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let created = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/sms",
            &token,
            Some(json!({"person_id": "person-1"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(sandbox.last_code("+15550101").await, "212212");
    let path = format!("/v1/mfa/challenges/sms/{id}");
    assert_eq!(
        sandbox.solaris(Method::GET, &path, &token, None).await.body["status"],
        "PENDING"
    );
    let wrong = sandbox
        .solaris(Method::PUT, &path, &token, Some(json!({"token": "000000"})))
        .await;
    assert_eq!(
        (wrong.status, code(&wrong)),
        (StatusCode::FORBIDDEN, "invalid_tan")
    );
    let right = sandbox
        .solaris(Method::PUT, &path, &token, Some(json!({"token": "212212"})))
        .await;
    assert_eq!(right.status, StatusCode::NO_CONTENT);
    let reused = sandbox
        .solaris(Method::PUT, &path, &token, Some(json!({"token": "212212"})))
        .await;
    assert_eq!(
        (reused.status, code(&reused)),
        (StatusCode::CONFLICT, "challenge_already_completed")
    );
    // The MFA challenges answer errors flat, but 401 and 403 in the list.
    assert!(reused.body["errors"].is_null(), "{:?}", reused.body);
    for field in ["id", "title", "detail"] {
        assert!(reused.body[field].is_string(), "{field}: {:?}", reused.body);
    }
    assert_eq!(reused.body["status"], 409);
    assert_eq!(wrong.body["errors"][0]["code"], "invalid_tan");

    let late = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/sms",
            &token,
            Some(json!({"person_id": "person-2"})),
        )
        .await;
    let late_id = late.body["id"].as_str().unwrap().to_owned();
    let random = sandbox.last_code("+4915112345678").await;
    assert_eq!(random.len(), 6);
    sandbox.advance("5m").await;
    let token = sandbox.solaris_token().await;
    let expired = sandbox
        .solaris(
            Method::PUT,
            &format!("/v1/mfa/challenges/sms/{late_id}"),
            &token,
            Some(json!({"token": random})),
        )
        .await;
    assert_eq!(
        (expired.status, code(&expired)),
        (StatusCode::NOT_FOUND, "challenge_expired")
    );
    let nobody = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/sms",
            &token,
            Some(json!({"person_id": "person-9"})),
        )
        .await;
    assert_eq!(
        (nobody.status, code(&nobody)),
        (StatusCode::NOT_FOUND, "model_not_found")
    );
}

#[tokio::test]
async fn codes_cannot_be_guessed_by_trying() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let created = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/sms",
            &token,
            Some(json!({"person_id": "person-1"})),
        )
        .await;
    let path = format!(
        "/v1/mfa/challenges/sms/{}",
        created.body["id"].as_str().unwrap()
    );
    for _ in 0..3 {
        let wrong = sandbox
            .solaris(Method::PUT, &path, &token, Some(json!({"token": "000000"})))
            .await;
        assert_eq!(code(&wrong), "invalid_tan");
    }
    let right = sandbox
        .solaris(Method::PUT, &path, &token, Some(json!({"token": "212212"})))
        .await;
    assert_eq!(
        (right.status, code(&right)),
        (StatusCode::FORBIDDEN, "too_many_attempts")
    );
}

#[tokio::test]
async fn a_mobile_number_is_added_authorized_and_confirmed() {
    let yaml = sca_sandbox::DEFAULT_SCENARIO.replace(
        "      - id: person-2\n",
        "      - id: person-3\n        otp: \"212212\"\n      - id: person-2\n",
    );
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let token = sandbox.solaris_token().await;
    let base = "/v1/persons/person-3/mobile_number";
    let bad = sandbox
        .solaris(
            Method::POST,
            base,
            &token,
            Some(json!({"number": "0170 123"})),
        )
        .await;
    assert_eq!(
        (bad.status, code(&bad)),
        (StatusCode::BAD_REQUEST, "validation_error")
    );
    assert_eq!(bad.body["errors"][0]["source"]["field"], "number");
    let added = sandbox
        .solaris(
            Method::POST,
            base,
            &token,
            Some(json!({"number": "+15550199"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED);
    assert_eq!(added.body["verified"], false);
    let again = sandbox
        .solaris(
            Method::POST,
            base,
            &token,
            Some(json!({"number": "+15550199"})),
        )
        .await;
    assert_eq!(code(&again), "mobile_number_exists");
    // No verified number yet: an SMS challenge cannot be sent.
    let challenge = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/sms",
            &token,
            Some(json!({"person_id": "person-3"})),
        )
        .await;
    assert_eq!(challenge.status, StatusCode::BAD_REQUEST);
    let authorized = sandbox
        .solaris(
            Method::POST,
            &format!("{base}/authorize"),
            &token,
            Some(json!({"number": "+15550199"})),
        )
        .await;
    assert_eq!(authorized.status, StatusCode::CREATED);
    let wrong = sandbox
        .solaris(
            Method::POST,
            &format!("{base}/confirm"),
            &token,
            Some(json!({"number": "+15550199", "token": "111111"})),
        )
        .await;
    assert_eq!(code(&wrong), "invalid_tan");
    let confirmed = sandbox
        .solaris(
            Method::POST,
            &format!("{base}/confirm"),
            &token,
            Some(json!({"number": "+15550199", "token": "212212"})),
        )
        .await;
    assert_eq!(confirmed.body["verified"], true);
    // Three wrong codes and the pending code is gone: authorize again.
    let confirm = |tan: &'static str| {
        sandbox.solaris(
            Method::POST,
            "/v1/persons/person-3/mobile_number/confirm",
            &token,
            Some(json!({"number": "+15550199", "token": tan})),
        )
    };
    let again = sandbox
        .solaris(
            Method::POST,
            &format!("{base}/authorize"),
            &token,
            Some(json!({"number": "+15550199"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    for _ in 0..3 {
        assert_eq!(code(&confirm("000000").await), "invalid_tan");
    }
    assert_eq!(
        code(&confirm("212212").await),
        "invalid_tan",
        "the code died with the third wrong try"
    );
}

#[tokio::test]
async fn a_device_key_made_in_the_test_binds_and_signs_challenges() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let device = TestDevice::new(7);
    let id = sandbox.bind(&token, &device, "unrestricted").await;
    let listed = sandbox
        .solaris(
            Method::GET,
            "/v1/mfa/devices?person_id=person-1",
            &token,
            None,
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["id"], id);
    assert_eq!(
        sandbox
            .solaris(Method::GET, &format!("/v1/mfa/devices/{id}"), &token, None)
            .await
            .status,
        StatusCode::OK
    );

    let challenge = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/devices",
            &token,
            Some(json!({"device_id": id})),
        )
        .await;
    assert_eq!(
        challenge.status,
        StatusCode::CREATED,
        "{:?}",
        challenge.body
    );
    assert_eq!(challenge.body["type"], "signature");
    let text = challenge.body["string_to_sign"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!(
        "/v1/mfa/challenges/devices/{}",
        challenge.body["id"].as_str().unwrap()
    );
    let put = |signature: String| {
        sandbox.solaris(
            Method::PUT,
            &path,
            &token,
            Some(json!({"signature": signature, "device_id": id})),
        )
    };

    let cases = [
        (
            "not hex",
            "zz".to_owned(),
            StatusCode::BAD_REQUEST,
            "validation_error",
        ),
        (
            "not DER",
            hex(&[0x30, 0x02, 0x01]),
            StatusCode::BAD_REQUEST,
            "validation_error",
        ),
        (
            "wrong key",
            TestDevice::new(8).sign(&text),
            StatusCode::FORBIDDEN,
            "invalid_signature",
        ),
        (
            "wrong text",
            device.sign("something else"),
            StatusCode::FORBIDDEN,
            "invalid_signature",
        ),
    ];
    for (what, signature, status, error) in cases {
        let answer = put(signature).await;
        assert_eq!(
            (answer.status, code(&answer)),
            (status, error),
            "{what}: {:?}",
            answer.body
        );
    }
    let signature = device.sign(&text);
    assert_eq!(put(signature.clone()).await.status, StatusCode::NO_CONTENT);
    let replay = put(signature).await;
    assert_eq!(
        (replay.status, code(&replay)),
        (StatusCode::CONFLICT, "challenge_already_completed")
    );

    // A login-only device has no restricted key.
    let restricted = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/devices",
            &token,
            Some(json!({"device_id": id, "key_purpose": "restricted"})),
        )
        .await;
    assert_eq!(restricted.status, StatusCode::BAD_REQUEST);
    assert_eq!(restricted.body["error_code"], "validation_error");
    assert!(
        restricted.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("key_purpose")),
        "{:?}",
        restricted.body
    );

    let late = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/devices",
            &token,
            Some(json!({"device_id": id})),
        )
        .await;
    let late_text = late.body["string_to_sign"].as_str().unwrap().to_owned();
    sandbox.advance("5m").await;
    let answer = sandbox
        .solaris(
            Method::PUT,
            &format!(
                "/v1/mfa/challenges/devices/{}",
                late.body["id"].as_str().unwrap()
            ),
            &token,
            Some(json!({"signature": device.sign(&late_text)})),
        )
        .await;
    assert_eq!(
        (answer.status, code(&answer)),
        (StatusCode::NOT_FOUND, "challenge_expired")
    );
}

#[tokio::test]
async fn device_registration_checks_key_type_and_limit() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let register = |key: String, key_type: &str| {
        sandbox.solaris(
            Method::POST,
            "/v1/mfa/devices",
            &token,
            Some(
                json!({"person_id": "person-1", "key": key, "key_type": key_type, "name": "phone"}),
            ),
        )
    };
    let device = TestDevice::new(3);
    let compressed = format!("02{}", &device.public_hex()[2..66]);
    for (key, key_type, field) in [
        (compressed, "ecdsa-p256", "key"),
        ("xyz".to_owned(), "ecdsa-p256", "key"),
        (device.public_hex(), "rsa", "key_type"),
    ] {
        let answer = register(key, key_type).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(answer.body["errors"][0]["source"]["field"], field);
    }
    for seed in 10..15 {
        sandbox
            .bind(&token, &TestDevice::new(seed), "unrestricted")
            .await;
    }
    let sixth = register(TestDevice::new(20).public_hex(), "ecdsa-p256").await;
    assert_eq!(
        (sixth.status, code(&sixth)),
        (StatusCode::CONFLICT, "device_limit_reached")
    );
}

#[tokio::test]
async fn a_device_adds_a_key_it_signs_with_an_existing_one() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let device = TestDevice::new(5);
    let id = sandbox.bind(&token, &device, "unrestricted").await;
    let new_key = TestDevice::new(6);
    let keys_path = format!("/v1/mfa/devices/{id}/keys");
    let add = |signature: String| {
        sandbox.solaris(
            Method::POST,
            &keys_path,
            &token,
            Some(json!({"key": new_key.public_hex(), "key_type": "ecdsa-p256", "key_purpose": "restricted",
                "device_signature": {"signature_key_purpose": "unrestricted", "signature": signature}})),
        )
    };
    let forged = add(TestDevice::new(9).sign(&new_key.public_hex())).await;
    assert_eq!(code(&forged), "invalid_signature");
    let added = add(device.sign(&new_key.public_hex())).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    let keys = sandbox
        .solaris(
            Method::GET,
            &format!("/v1/mfa/devices/{id}/keys"),
            &token,
            None,
        )
        .await;
    assert_eq!(keys.body[0]["keys"].as_array().unwrap().len(), 2);
    let deleted = sandbox
        .solaris(
            Method::DELETE,
            &format!("/v1/mfa/devices/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        sandbox
            .solaris(Method::GET, &format!("/v1/mfa/devices/{id}"), &token, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_transfer_waits_for_its_change_request_and_happens_on_confirm() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let held = sandbox.transfer(&token, 12_345).await;
    assert_eq!(held.status, StatusCode::ACCEPTED, "{:?}", held.body);
    assert_eq!(held.body["status"], "AUTHORIZATION_REQUIRED");
    let id = held.body["id"].as_str().unwrap().to_owned();
    // Where the guide writes `:env`, the link is absolute: the scheme,
    // host and port the request came on, ready to call as it is.
    let link = held.body["url"].as_str().unwrap().to_owned();
    assert_eq!(
        link,
        sandbox.url(&format!("/solaris/v1/change_requests/{id}/authorize"))
    );
    let early = sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/confirm"),
            &token,
            Some(json!({"person_id": "person-1", "tan": "212212"})),
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    let authorized = sandbox
        .send(
            sandbox
                .http
                .post(&link)
                .bearer_auth(&token)
                .json(&json!({"person_id": "person-1", "delivery_method": "static"})),
        )
        .await;
    assert_eq!(authorized.status, StatusCode::CREATED);
    assert_eq!(authorized.body["status"], "CONFIRMATION_REQUIRED");
    let done = sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/confirm"),
            &token,
            Some(json!({"person_id": "person-1", "tan": "212212"})),
        )
        .await;
    assert_eq!(done.body["status"], "COMPLETED", "{:?}", done.body);
    assert_eq!(done.body["response_code"], 201);
    assert_eq!(done.body["response_body"]["amount"]["value"], 12_345);
    assert_eq!(done.body["response_body"]["status"], "accepted");
    let read = sandbox
        .solaris(
            Method::GET,
            &format!("/v1/change_requests/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(read.body["status"], "COMPLETED");
    // The balance was debited on confirm: 10,000.00 EUR - 123.45 EUR.
    let too_much = sandbox.transfer(&token, 1_000_000 - 12_345 + 1).await;
    assert_eq!(
        (too_much.status, code(&too_much)),
        (StatusCode::BAD_REQUEST, "insufficient_funds")
    );
    let invalid = sandbox
        .solaris(
            Method::POST,
            "/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer",
            &token,
            Some(json!({"amount": {"value": 1, "unit": "euros", "currency": "EUR"}, "recipient_name": "x", "recipient_iban": "DE89370400440532013000"})),
        )
        .await;
    assert_eq!(invalid.body["errors"][0]["source"]["field"], "amount.unit");
}

#[tokio::test]
async fn a_wrong_tan_fails_the_change_request_for_good() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let id = sandbox.transfer(&token, 100).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_sms = sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/authorize"),
            &token,
            Some(json!({"person_id": "person-1", "delivery_method": "mobile_number"})),
        )
        .await;
    // The guide's SMS answer carries the link; a device-signing one does not.
    assert_eq!(by_sms.body["status"], "CONFIRMATION_REQUIRED");
    assert_eq!(
        by_sms.body["url"],
        sandbox.url(&format!("/solaris/v1/change_requests/{id}/authorize"))
    );
    assert!(by_sms.body.get("string_to_sign").is_none());
    assert_eq!(sandbox.last_code("+15550101").await, "212212");
    let confirm_path = format!("/v1/change_requests/{id}/confirm");
    let confirm = |tan: &str| {
        sandbox.solaris(
            Method::POST,
            &confirm_path,
            &token,
            Some(json!({"person_id": "person-1", "tan": tan})),
        )
    };
    let wrong = confirm("000000").await;
    assert_eq!(
        (wrong.status, code(&wrong)),
        (StatusCode::FORBIDDEN, "invalid_tan")
    );
    let after = confirm("212212").await;
    assert_eq!(after.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        sandbox
            .solaris(
                Method::GET,
                &format!("/v1/change_requests/{id}"),
                &token,
                None
            )
            .await
            .body["status"],
        "FAILED"
    );
}

#[tokio::test]
async fn a_change_request_expires_after_five_minutes() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let id = sandbox.transfer(&token, 100).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/authorize"),
            &token,
            Some(json!({"person_id": "person-1", "delivery_method": "static"})),
        )
        .await;
    sandbox.advance("5m").await;
    let late = sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/confirm"),
            &token,
            Some(json!({"person_id": "person-1", "tan": "212212"})),
        )
        .await;
    assert_eq!(
        (late.status, code(&late)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable_entity")
    );
}

#[tokio::test]
async fn device_signing_confirms_with_the_restricted_key_of_a_virtual_device() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    // A login-only device cannot authorize a data change.
    let login_only = sandbox
        .bind(&token, &TestDevice::new(4), "unrestricted")
        .await;
    let id = sandbox
        .solaris(
            Method::PATCH,
            "/v1/persons/person-1",
            &token,
            Some(json!({"first_name": "Erika-Maria"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let authorize_path = format!("/v1/change_requests/{id}/authorize");
    let authorize = |device: &str| {
        sandbox.solaris(
            Method::POST,
            &authorize_path,
            &token,
            Some(json!({"person_id": "person-1", "delivery_method": "device_signing", "device_id": device})),
        )
    };
    let refused = authorize(&login_only).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["errors"][0]["source"]["field"], "device_id");

    let virtual_device = sandbox
        .post(
            "/__admin/solaris/devices",
            json!({"person_id": "person-1", "key_purpose": "restricted"}),
        )
        .await;
    assert_eq!(
        virtual_device.status,
        StatusCode::CREATED,
        "{:?}",
        virtual_device.body
    );
    let device = virtual_device.body["id"].as_str().unwrap().to_owned();
    let authorized = authorize(&device).await;
    assert!(authorized.body.get("url").is_none(), "{}", authorized.body);
    let text = authorized.body["string_to_sign"]
        .as_str()
        .unwrap()
        .to_owned();
    // Not applied before the confirmation.
    let person = sandbox
        .solaris(Method::GET, "/v1/persons/person-1", &token, None)
        .await;
    assert_eq!(person.body["first_name"], "Erika");
    let signed = sandbox
        .post(
            &format!("/__admin/solaris/devices/{device}/sign"),
            json!({"string_to_sign": text}),
        )
        .await;
    let signature = signed.body["signature"].as_str().unwrap().to_owned();
    let done = sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/confirm"),
            &token,
            Some(json!({"device_id": device, "signature": signature})),
        )
        .await;
    assert_eq!(done.body["status"], "COMPLETED", "{:?}", done.body);
    assert_eq!(done.body["response_body"]["first_name"], "Erika-Maria");
    let person = sandbox
        .solaris(Method::GET, "/v1/persons/person-1", &token, None)
        .await;
    assert_eq!(person.body["first_name"], "Erika-Maria");
}

#[tokio::test]
async fn trusted_ibans_and_mobile_deletion_are_change_requests_too() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let confirm_static = |id: String| {
        let (sandbox, token) = (&sandbox, &token);
        async move {
            sandbox
                .solaris(
                    Method::POST,
                    &format!("/v1/change_requests/{id}/authorize"),
                    token,
                    Some(json!({"person_id": "person-2", "delivery_method": "static"})),
                )
                .await;
            sandbox
                .solaris(
                    Method::POST,
                    &format!("/v1/change_requests/{id}/confirm"),
                    token,
                    Some(json!({"person_id": "person-2", "tan": "212212"})),
                )
                .await
        }
    };
    let bad = sandbox
        .solaris(
            Method::POST,
            "/v1/persons/person-2/trusted_ibans",
            &token,
            Some(json!({"iban": "nope"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let held = sandbox
        .solaris(
            Method::POST,
            "/v1/persons/person-2/trusted_ibans",
            &token,
            Some(json!({"iban": "FR7630006000011234567890189"})),
        )
        .await;
    assert_eq!(held.status, StatusCode::ACCEPTED);
    assert_eq!(
        sandbox
            .solaris(
                Method::GET,
                "/v1/persons/person-2/trusted_ibans",
                &token,
                None
            )
            .await
            .body,
        json!([])
    );
    let done = confirm_static(held.body["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(done.body["response_code"], 201);
    let trusted = sandbox
        .solaris(
            Method::GET,
            "/v1/persons/person-2/trusted_ibans",
            &token,
            None,
        )
        .await;
    assert_eq!(trusted.body[0]["iban"], "FR7630006000011234567890189");

    let held = sandbox
        .solaris(
            Method::DELETE,
            "/v1/persons/person-2/mobile_number",
            &token,
            None,
        )
        .await;
    assert_eq!(held.status, StatusCode::ACCEPTED);
    let done = confirm_static(held.body["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(done.body["response_body"]["number"], "+4915112345678");
    let gone = sandbox
        .solaris(
            Method::GET,
            "/v1/persons/person-2/mobile_number",
            &token,
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // Without a verified number there is no one to authorize the next change.
    let refused = sandbox
        .solaris(
            Method::PATCH,
            "/v1/persons/person-2",
            &token,
            Some(json!({"last_name": "Muster"})),
        )
        .await;
    assert_eq!(
        (refused.status, code(&refused)),
        (StatusCode::FORBIDDEN, "unauthorized_change_request")
    );
    let unknown = sandbox
        .solaris(
            Method::PATCH,
            "/v1/persons/person-1",
            &token,
            Some(json!({"tax_id": "1"})),
        )
        .await;
    assert_eq!(unknown.body["errors"][0]["source"]["field"], "tax_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_confirms_complete_a_change_request_exactly_once() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let id = sandbox.transfer(&token, 1_000).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/authorize"),
            &token,
            Some(json!({"person_id": "person-1", "delivery_method": "static"})),
        )
        .await;
    let mut confirms = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let req = sandbox
            .http
            .post(sandbox.url(&format!("/solaris/v1/change_requests/{id}/confirm")))
            .bearer_auth(&token)
            .json(&json!({"person_id": "person-1", "tan": "212212"}));
        confirms.spawn(async move { req.send().await.unwrap().status() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = confirms.join_next().await {
        statuses.push(status.unwrap());
    }
    let completed = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((completed, refused), (1, 19));
    // One transfer: the balance moved once.
    let rest = sandbox.transfer(&token, 1_000_000 - 1_000 + 1).await;
    assert_eq!(code(&rest), "insufficient_funds");
}

#[tokio::test]
async fn unknown_paths_answer_in_the_solaris_envelope() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox.get("/solaris/v1/nothing").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.body["errors"][0]["code"], "not_found");
    let method = sandbox
        .request(Method::DELETE, "/solaris/oauth/token")
        .await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(method.headers["allow"], "POST");
}
