//! Solaris' device management against the facts of its API reference: the
//! MFA challenges' flat error shape, the key chosen when `key_purpose` is
//! left out, and device binding by activation code.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::solaris::TestDevice;
use crate::support::TestSandbox;

#[tokio::test]
async fn mfa_challenges_answer_flat_errors_and_keep_the_list_for_401() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let missing = sandbox
        .solaris(Method::GET, "/v1/mfa/challenges/sms/nope", &token, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["code"], "model_not_found");
    assert_eq!(missing.body["title"], "Model Not Found");
    assert_eq!(missing.body["status"], 404);
    assert!(missing.body["id"].is_string() && missing.body["detail"].is_string());
    let bad = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/devices",
            &token,
            Some(json!({})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error_code"], "validation_error");
    let anonymous = sandbox
        .solaris(Method::GET, "/v1/mfa/challenges/sms/nope", "wrong", None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.body["errors"][0]["code"], "unauthorized");
    // Change requests and persons keep the list.
    let person = sandbox
        .solaris(Method::GET, "/v1/persons/nobody", &token, None)
        .await;
    assert_eq!(person.body["errors"][0]["code"], "model_not_found");
}

#[tokio::test]
async fn without_a_key_purpose_the_device_s_own_key_signs() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let device = TestDevice::new(21);
    let id = sandbox.bind(&token, &device, "restricted").await;
    for purpose in [json!(null), json!("")] {
        let mut body = json!({ "device_id": id });
        if !purpose.is_null() {
            body["key_purpose"] = purpose;
        }
        let challenge = sandbox
            .solaris(
                Method::POST,
                "/v1/mfa/challenges/devices",
                &token,
                Some(body),
            )
            .await;
        assert_eq!(
            challenge.status,
            StatusCode::CREATED,
            "{:?}",
            challenge.body
        );
        let text = challenge.body["string_to_sign"].as_str().unwrap();
        let cid = challenge.body["id"].as_str().unwrap();
        let signed = sandbox
            .solaris(
                Method::PUT,
                &format!("/v1/mfa/challenges/devices/{cid}"),
                &token,
                Some(json!({ "signature": device.sign(text) })),
            )
            .await;
        assert_eq!(
            signed.status,
            StatusCode::NO_CONTENT,
            "the restricted key signed"
        );
    }
    let unrestricted = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/devices",
            &token,
            Some(json!({ "device_id": id, "key_purpose": "unrestricted" })),
        )
        .await;
    assert_eq!(unrestricted.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_activation_code_binds_one_device_without_an_sms() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let create = |invalidate: bool| {
        let (sandbox, token) = (&sandbox, token.clone());
        async move {
            let path = if invalidate {
                "/v1/mfa/challenges/activation?invalidate_existing_code=true"
            } else {
                "/v1/mfa/challenges/activation"
            };
            let body = json!({ "person_id": "person-1", "origin": "MOBILE_APP",
                "purpose": "DEVICE_BINDING", "delivery_method": "SNAILMAIL" });
            sandbox
                .solaris(Method::POST, path, &token, Some(body))
                .await
        }
    };
    let first = create(false).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    for field in [
        "id",
        "person_id",
        "code",
        "created_at",
        "expires_at",
        "origin",
        "purpose",
        "delivery_method",
    ] {
        assert!(first.body[field].is_string(), "{field}: {:?}", first.body);
    }
    assert_eq!(
        (
            first.body["usage_count"].as_u64(),
            first.body["max_usage_count"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let twice = create(false).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.body["code"], "activation_code_exists");
    let fresh = create(true).await;
    assert_eq!(fresh.status, StatusCode::CREATED);
    let old = first.body["id"].as_str().unwrap();
    let code = fresh.body["code"].as_str().unwrap().to_owned();

    let sms_before = sandbox
        .get("/__admin/sms")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    let device = TestDevice::new(33);
    let register = |device: &TestDevice| {
        json!({ "person_id": "person-1", "key": device.public_hex(), "key_type": "ecdsa-p256",
            "name": "Posted phone", "challenge_type": "activation_code" })
    };
    let registered = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/devices",
            &token,
            Some(register(&device)),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::ACCEPTED,
        "{:?}",
        registered.body
    );
    assert_eq!(
        sandbox
            .get("/__admin/sms")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        sms_before,
        "no SMS for an activation-code binding"
    );
    let challenge = registered.body["challenge"]["id"].as_str().unwrap();
    let path = format!("/v1/mfa/challenges/signatures/{challenge}");
    // The retired code does not bind.
    let old_code = first.body["code"].as_str().unwrap();
    let wrong = sandbox
        .solaris(
            Method::PUT,
            &path,
            &token,
            Some(json!({ "signature": device.sign(old_code) })),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let bound = sandbox
        .solaris(
            Method::PUT,
            &path,
            &token,
            Some(json!({ "signature": device.sign(&code) })),
        )
        .await;
    assert_eq!(bound.status, StatusCode::NO_CONTENT);
    let used = sandbox
        .solaris(
            Method::GET,
            &format!(
                "/v1/mfa/challenges/activation/{}",
                fresh.body["id"].as_str().unwrap()
            ),
            &token,
            None,
        )
        .await;
    assert_eq!(used.body["usage_count"], 1);
    // Used up: a second device cannot bind with it.
    let again = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/devices",
            &token,
            Some(register(&TestDevice::new(34))),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let expired = sandbox
        .solaris(
            Method::DELETE,
            &format!("/v1/mfa/challenges/activation/{old}"),
            &token,
            None,
        )
        .await;
    assert_eq!(expired.status, StatusCode::NO_CONTENT);
    let bad = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/activation",
            &token,
            Some(json!({ "person_id": "person-1", "delivery_method": "EMAIL" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let nobody = sandbox
        .solaris(
            Method::POST,
            "/v1/mfa/challenges/activation",
            &token,
            Some(json!({ "person_id": "nobody" })),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}
