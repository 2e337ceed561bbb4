//! Multi's transaction confirmation against the facts of Weavr's published
//! descriptions: sends and outgoing wire transfers, their OTP challenges in
//! the per-transaction and the batch form, push notifications the user
//! answers, and the Simulator's verdicts.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestSandbox;
use crate::weavr_reference::{code, numeric, one_of, shape, BUYER, T};

const SEND_STATES: &[&str] = &[
    "INVALID",
    "INITIALISED",
    "COMPLETED",
    "REJECTED",
    "FAILED",
    "PENDING",
    "PENDING_CHALLENGE",
    "APPROVED",
    "RETURNED",
    "SCHEDULED",
    "CANCELLED",
];
const OWT_STATES: &[&str] = &[
    "INVALID",
    "PENDING_CHALLENGE",
    "SUBMITTED",
    "REJECTED",
    "APPROVED",
    "FAILED",
    "COMPLETED",
    "RETURNED",
    "SCHEDULED",
    "CANCELLED",
    "PENDING_CONFIRMATION",
];

#[tokio::test]
async fn a_send_waits_for_its_otp_and_only_then_completes() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let created = sandbox.send_money(&token, 1000).await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    shape(
        &created.body,
        &[
            ("id", T::Str),
            ("profileId", T::Str),
            ("creationTimestamp", T::Int),
            ("source.id", T::Str),
            ("destinationAmount.amount", T::Int),
            ("state", T::Str),
            ("transactionAmount.currency", T::Str),
        ],
    );
    assert_eq!(created.body["state"], "PENDING_CHALLENGE");
    one_of(&created.body["state"], SEND_STATES);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let otp = format!("/multi/sends/{id}/challenges/otp/SMS");

    assert_eq!(
        sandbox.weavr(&otp, Some(&token), None).await.status,
        StatusCode::NO_CONTENT
    );
    let sms = sandbox.get("/__admin/sms?provider=weavr").await.body;
    assert_eq!(sms.as_array().unwrap().last().unwrap()["purpose"], "sends");
    // A send's challenge declares no RETRY_IN_15SEC (that is the step-up's
    // rule and the batch challenge's): asked again at once, it is reissued.
    let again = sandbox.weavr(&otp, Some(&token), None).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "{:?}", again.body);
    let unknown_send = sandbox
        .weavr("/multi/sends/123/challenges/otp/SMS", Some(&token), None)
        .await;
    assert_eq!(
        (unknown_send.status, code(&unknown_send)),
        (StatusCode::CONFLICT, "STATE_INVALID"),
        "the description declares no 404 there"
    );
    let wrong = sandbox
        .weavr_code(&format!("{otp}/verify"), &token, "000000")
        .await;
    assert_eq!(
        (wrong.status, code(&wrong)),
        (StatusCode::CONFLICT, "VERIFICATION_CODE_INVALID")
    );
    // A GET is account information: the token's own step-up.
    let gated = sandbox
        .weavr_call(Method::GET, &format!("/multi/sends/{id}"), &token, None)
        .await;
    assert_eq!(code(&gated), "STEP_UP_REQUIRED");
    let right = sandbox
        .weavr_code(&format!("{otp}/verify"), &token, "123456")
        .await;
    assert_eq!(right.status, StatusCode::NO_CONTENT);
    let replay = sandbox
        .weavr_code(&format!("{otp}/verify"), &token, "123456")
        .await;
    assert_eq!(
        code(&replay),
        "STATE_INVALID",
        "a verified challenge is used up"
    );
    let gated = sandbox
        .weavr_call(Method::GET, &format!("/multi/sends/{id}"), &token, None)
        .await;
    assert_eq!(
        code(&gated),
        "STEP_UP_REQUIRED",
        "confirming a send steps nothing up"
    );

    let reader = sandbox.stepped_up("/multi", BUYER).await;
    let read = sandbox
        .weavr_call(Method::GET, &format!("/multi/sends/{id}"), &reader, None)
        .await;
    assert_eq!(read.body["state"], "COMPLETED");

    // The 409s of creation, in the description's codes.
    let broke = sandbox.send_money(&token, 10_000_000).await;
    assert_eq!(code(&broke), "FUNDS_INSUFFICIENT");
    let zero = sandbox.send_money(&token, 0).await;
    assert_eq!(code(&zero), "AMOUNT_INVALID");
    let unknown = sandbox
        .weavr_call(Method::GET, "/multi/sends/123", &reader, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn wire_transfers_are_confirmed_together_by_one_challenge() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let first = sandbox.wire(&token).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    shape(
        &first.body,
        &[
            ("id", T::Str),
            ("profileId", T::Str),
            ("creationTimestamp", T::Int),
            ("sourceInstrument.id", T::Str),
            ("transferAmount.amount", T::Int),
            ("state", T::Str),
            ("type", T::Str),
            ("destination.iban", T::Str),
        ],
    );
    one_of(&first.body["state"], OWT_STATES);
    one_of(
        &first.body["type"],
        &["SEPA", "FASTER_PAYMENTS", "SWIFT", "RIX"],
    );
    let second = sandbox.wire(&token).await;
    let ids = [first.body["id"].clone(), second.body["id"].clone()];
    let batch = json!({ "resourceType": "outgoing_wire_transfers", "resourceIds": ids });

    let issued = sandbox
        .weavr_call(
            Method::POST,
            "/multi/challenges/otp/SMS",
            &token,
            Some(batch.clone()),
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK);
    numeric(&issued.body["scaChallengeId"]);
    let sca = issued.body["scaChallengeId"].as_str().unwrap().to_owned();
    let early = sandbox
        .weavr_call(
            Method::POST,
            "/multi/challenges/otp/SMS",
            &token,
            Some(batch.clone()),
        )
        .await;
    assert_eq!(code(&early), "RETRY_IN_15SEC");
    sandbox.advance("15s").await;
    let retry = sandbox
        .weavr_call(
            Method::POST,
            "/multi/challenges/otp/SMS",
            &token,
            Some(batch.clone()),
        )
        .await;
    let newest = retry.body["scaChallengeId"].as_str().unwrap().to_owned();
    sandbox.advance("15s").await;
    let limit = sandbox
        .weavr_call(
            Method::POST,
            "/multi/challenges/otp/SMS",
            &token,
            Some(batch),
        )
        .await;
    assert_eq!(code(&limit), "CHALLENGE_LIMIT_EXCEEDED");
    // The batch form's verify names the kind of its resources, as its
    // description requires.
    let batch_verify = |sca: String, body: serde_json::Value| {
        let sandbox = &sandbox;
        let token = token.clone();
        async move {
            sandbox
                .weavr(
                    &format!("/multi/challenges/{sca}/otp/SMS/verify"),
                    Some(&token),
                    Some(body),
                )
                .await
        }
    };
    let code_only = batch_verify(newest.clone(), json!({"verificationCode": "123456"})).await;
    assert_eq!(
        code_only.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        code_only.body
    );
    assert_eq!(
        code_only.body["syntaxErrors"]["invalidFields"][0]["fieldName"],
        "resourceType"
    );
    let verify_body =
        json!({"verificationCode": "123456", "resourceType": "outgoing_wire_transfers"});
    let stale = batch_verify(sca.clone(), verify_body.clone()).await;
    assert_eq!(
        code(&stale),
        "STATE_INVALID",
        "only the newest challenge counts"
    );
    let verified = batch_verify(newest, verify_body).await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT);
    let reader = sandbox.stepped_up("/multi", BUYER).await;
    for id in &ids {
        let id = id.as_str().unwrap();
        let read = sandbox
            .weavr_call(
                Method::GET,
                &format!("/multi/outgoing_wire_transfers/{id}"),
                &reader,
                None,
            )
            .await;
        assert_eq!(read.body["state"], "SUBMITTED");
    }

    let other = json!({ "resourceType": "linked_account_declaration", "resourceIds": ["1"] });
    let unsupported = sandbox
        .weavr_call(
            Method::POST,
            "/multi/challenges/otp/SMS",
            &token,
            Some(other),
        )
        .await;
    assert_eq!(code(&unsupported), "CHANNEL_NOT_SUPPORTED");
    let bad = sandbox
        .weavr_call(
            Method::POST,
            "/multi/challenges/otp/SMS",
            &token,
            Some(json!({ "resourceType": "sends", "resourceIds": [] })),
        )
        .await;
    assert_eq!(
        bad.body["syntaxErrors"]["invalidFields"][0]["fieldName"],
        "resourceIds"
    );
}

#[tokio::test]
async fn three_wrong_codes_fail_the_transaction() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let id = sandbox.send_money(&token, 100).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let otp = format!("/multi/sends/{id}/challenges/otp/SMS");
    sandbox.weavr(&otp, Some(&token), None).await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let wrong = sandbox
            .weavr_code(&format!("{otp}/verify"), &token, "000000")
            .await;
        codes.push(code(&wrong).to_owned());
    }
    assert_eq!(
        codes,
        [
            "VERIFICATION_CODE_INVALID",
            "ONE_CHALLENGE_LIMIT_REMAINING",
            "CHALLENGE_LIMIT_EXCEEDED"
        ]
    );
    let reader = sandbox.stepped_up("/multi", BUYER).await;
    let read = sandbox
        .weavr_call(Method::GET, &format!("/multi/sends/{id}"), &reader, None)
        .await;
    assert_eq!(read.body["state"], "FAILED");
}

#[tokio::test]
async fn the_user_answers_pushes_on_the_phone() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;

    // Step-up by push, approved through the control API.
    let push = sandbox
        .weavr_call(
            Method::POST,
            "/multi/stepup/challenges/push/BIOMETRIC",
            &token,
            None,
        )
        .await;
    assert_eq!(push.status, StatusCode::OK);
    numeric(&push.body["id"]);
    let in_flight = sandbox
        .weavr_call(
            Method::POST,
            "/multi/stepup/challenges/push/BIOMETRIC",
            &token,
            None,
        )
        .await;
    assert_eq!(code(&in_flight), "STATE_INVALID");
    let authy = sandbox
        .weavr_call(
            Method::POST,
            "/multi/stepup/challenges/push/AUTHY",
            &token,
            None,
        )
        .await;
    assert_eq!(code(&authy), "CHANNEL_NOT_REGISTERED");
    let pending = sandbox.get("/__admin/weavr/push_challenges").await.body;
    assert_eq!(pending[0]["purpose"], "stepup");
    let id = push.body["id"].as_str().unwrap();
    let approved = sandbox
        .post(
            &format!("/__admin/weavr/push_challenges/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK);
    let accounts = sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    assert_eq!(accounts.status, StatusCode::OK, "stepped up by the push");

    // A send by push, rejected through the Simulator.
    let (send, pending) = sandbox.pushed_send(&token, 500).await;
    let challenge = pending["id"].as_str().unwrap().to_owned();
    let credentials = pending["credentials_id"].as_str().unwrap().to_owned();
    assert_eq!(pending["resource_ids"], json!([send]));
    let simulate = |verb: &'static str, credentials: String| {
        let sandbox = &sandbox;
        let (token, challenge) = (token.clone(), challenge.clone());
        async move {
            let req = sandbox
                .http
                .post(sandbox.url(&format!(
                    "/weavr/simulate/api/factors/{credentials}/challenges/{challenge}/{verb}"
                )))
                .header("programme-key", "weavr-sandbox-key")
                .bearer_auth(token);
            sandbox.send(req).await
        }
    };
    let stranger = simulate("verify_invalid", "1".to_owned()).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert!(stranger.body["message"].is_string());
    // The Simulator declares no 401: its `default`, `{message}`, answers.
    let keyless = sandbox
        .send(sandbox.http.post(sandbox.url(&format!(
            "/weavr/simulate/api/factors/{credentials}/challenges/{challenge}/verify_success"
        ))))
        .await;
    assert_eq!(keyless.status, StatusCode::UNAUTHORIZED);
    assert!(keyless.body["message"].is_string(), "{}", keyless.body);
    let denied = simulate("verify_invalid", credentials.clone()).await;
    assert_eq!(denied.body, json!({ "code": "DENIED" }));
    let read = sandbox
        .weavr_call(Method::GET, &format!("/multi/sends/{send}"), &token, None)
        .await;
    assert_eq!(read.body["state"], "REJECTED");
    let gone = simulate("verify_success", credentials).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "a settled push is gone");
}

#[tokio::test]
async fn the_simulated_user_approves_a_push_after_a_time() {
    let sandbox = TestSandbox::with(
        "users:\n  weavr:\n    push: { decide: approve, after: 3s }\nrules: []\n",
    )
    .await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let wire = sandbox.wire(&token).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let batch = json!({ "resourceType": "outgoing_wire_transfers", "resourceIds": [wire] });
    let issued = sandbox
        .weavr_call(
            Method::POST,
            "/multi/challenges/push/BIOMETRIC",
            &token,
            Some(batch),
        )
        .await;
    numeric(&issued.body["scaChallengeId"]);
    let reader = sandbox.stepped_up("/multi", BUYER).await;
    let state = || async {
        sandbox
            .weavr_call(
                Method::GET,
                &format!("/multi/outgoing_wire_transfers/{wire}"),
                &reader,
                None,
            )
            .await
            .body["state"]
            .clone()
    };
    sandbox.advance("2s").await;
    assert_eq!(state().await, "PENDING_CHALLENGE");
    sandbox.advance("1s").await;
    assert_eq!(state().await, "SUBMITTED");
    let journal = sandbox.get("/__admin/events?provider=weavr").await.body;
    assert!(journal.to_string().contains("push.approved"), "{journal}");
}

#[tokio::test]
async fn an_unanswered_push_expires_and_the_transaction_waits_again() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let send = sandbox.send_money(&token, 500).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sandbox
        .weavr_call(
            Method::POST,
            &format!("/multi/sends/{send}/challenges/push/BIOMETRIC"),
            &token,
            None,
        )
        .await;
    sandbox.advance("4m59s").await;
    let pending = sandbox.get("/__admin/weavr/push_challenges").await.body;
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "alive at 4:59");
    // Activity keeps the token alive past the push's five minutes.
    sandbox
        .weavr_call(Method::GET, "/multi/authentication_factors", &token, None)
        .await;
    sandbox.advance("1s").await;
    assert_eq!(
        sandbox.get("/__admin/weavr/push_challenges").await.body,
        json!([])
    );
    let otp = format!("/multi/sends/{send}/challenges/otp/SMS");
    assert_eq!(
        sandbox.weavr(&otp, Some(&token), None).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_wire_transfer_has_its_own_otp_and_push_challenges() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let id = sandbox.wire(&token).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let otp = format!("/multi/outgoing_wire_transfers/{id}/challenges/otp/SMS");
    assert_eq!(
        sandbox.weavr(&otp, Some(&token), None).await.status,
        StatusCode::NO_CONTENT
    );
    let other_channel = sandbox
        .weavr(
            &format!("/multi/outgoing_wire_transfers/{id}/challenges/otp/EMAIL"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(code(&other_channel), "CHANNEL_NOT_SUPPORTED");
    // A push sent later replaces the SMS code: only the newest counts.
    let push = sandbox
        .weavr_call(
            Method::POST,
            &format!("/multi/outgoing_wire_transfers/{id}/challenges/push/BIOMETRIC"),
            &token,
            None,
        )
        .await;
    assert_eq!(push.status, StatusCode::NO_CONTENT);
    let pending = sandbox.get("/__admin/weavr/push_challenges").await.body;
    assert_eq!(pending[0]["purpose"], "outgoing_wire_transfers");
    let challenge = pending[0]["id"].as_str().unwrap().to_owned();
    let credentials = pending[0]["credentials_id"].as_str().unwrap().to_owned();
    let expired = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url(&format!(
                    "/weavr/simulate/api/factors/{credentials}/challenges/{challenge}/verify_expired"
                )))
                .header("programme-key", "weavr-sandbox-key")
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(expired.body, json!({ "code": "DENIED" }));
    // Expired, the transfer waits for a new challenge: a fresh SMS works.
    sandbox.advance("15s").await;
    assert_eq!(
        sandbox.weavr(&otp, Some(&token), None).await.status,
        StatusCode::NO_CONTENT
    );
    let verified = sandbox
        .weavr_code(&format!("{otp}/verify"), &token, "123456")
        .await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT);
    let reader = sandbox.stepped_up("/multi", BUYER).await;
    let read = sandbox
        .weavr_call(
            Method::GET,
            &format!("/multi/outgoing_wire_transfers/{id}"),
            &reader,
            None,
        )
        .await;
    assert_eq!(read.body["state"], "SUBMITTED");
    let again = sandbox.weavr(&otp, Some(&token), None).await;
    assert_eq!(code(&again), "STATE_INVALID", "nothing left to confirm");
}

#[tokio::test]
async fn an_expired_code_says_so_and_is_forgotten_an_hour_later() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let id = sandbox.send_money(&token, 100).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let otp = format!("/multi/sends/{id}/challenges/otp/SMS");
    sandbox.weavr(&otp, Some(&token), None).await;
    assert_eq!(
        sandbox.get("/__admin/stats").await.body["weavr"]["challenges"],
        1
    );
    sandbox.advance("4m").await;
    // Any call keeps the token alive past the code's five minutes.
    sandbox
        .weavr_call(Method::GET, "/multi/authentication_factors", &token, None)
        .await;
    sandbox.advance("1m").await;
    let late = sandbox
        .weavr_code(&format!("{otp}/verify"), &token, "123456")
        .await;
    assert_eq!(code(&late), "VERIFICATION_CODE_EXPIRED");
    sandbox.advance("1h").await;
    assert_eq!(
        sandbox.get("/__admin/stats").await.body["weavr"]["challenges"],
        0,
        "an expired code is forgotten after an hour"
    );
}

#[tokio::test]
async fn a_faster_payments_beneficiary_needs_its_type_as_the_description_says() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let wire = |beneficiary: serde_json::Value| {
        json!({
            "profileId": "110747174434375200",
            "sourceInstrument": { "type": "managed_accounts", "id": "110747174434373800" },
            "transferAmount": { "currency": "EUR", "amount": 100 },
            "destinationBeneficiary": beneficiary,
        })
    };
    let untyped =
        wire(json!({ "name": "Acme Ltd", "accountNumber": "12345678", "sortCode": "123456" }));
    let refused = sandbox
        .weavr_call(
            Method::POST,
            "/multi/outgoing_wire_transfers",
            &token,
            Some(untyped),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["syntaxErrors"]["invalidFields"][0]["fieldName"],
        "destinationBeneficiary.type"
    );
    let typed = wire(
        json!({ "name": "Acme Ltd", "type": "BUSINESS", "accountNumber": "12345678", "sortCode": "123456" }),
    );
    let made = sandbox
        .weavr_call(
            Method::POST,
            "/multi/outgoing_wire_transfers",
            &token,
            Some(typed),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{:?}", made.body);
    assert_eq!(made.body["type"], "FASTER_PAYMENTS");
}

#[tokio::test]
async fn the_users_transactions_are_listed_filtered_and_paged() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let first = sandbox.send_money(&token, 100).await.body["id"].clone();
    sandbox.advance("1s").await;
    let second = sandbox.send_money(&token, 200).await.body["id"].clone();
    sandbox.wire(&token).await;
    let list = |query: &'static str, token: String| {
        let sandbox = &sandbox;
        async move {
            sandbox
                .weavr_call(Method::GET, &format!("/multi/sends{query}"), &token, None)
                .await
        }
    };
    // Transactions are account information: the list wants a step-up too.
    let gated = list("", token.clone()).await;
    assert_eq!(code(&gated), "STEP_UP_REQUIRED");
    let reader = sandbox.stepped_up("/multi", BUYER).await;
    let all = list("", reader.clone()).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(all.body["count"], 2, "sends only: {:?}", all.body);
    assert_eq!(all.body["send"][0]["id"], second, "newest first");
    assert_eq!(all.body["send"][1]["id"], first);
    let paged = list("?offset=1&limit=1", reader.clone()).await;
    assert_eq!(
        (
            paged.body["count"].clone(),
            paged.body["responseCount"].clone()
        ),
        (json!(2), json!(1))
    );
    assert_eq!(paged.body["send"][0]["id"], first);
    let none = list("?state=COMPLETED", reader.clone()).await;
    assert_eq!(none.body["count"], 0);
    let pending = list("?state=PENDING_CHALLENGE&state=COMPLETED", reader.clone()).await;
    assert_eq!(pending.body["count"], 2);
    let bad = list("?state=MELTED", reader.clone()).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.body["syntaxErrors"]["invalidFields"][0]["fieldName"],
        "state"
    );
    let wires = sandbox
        .weavr_call(
            Method::GET,
            "/multi/outgoing_wire_transfers?limit=100",
            &reader,
            None,
        )
        .await;
    assert_eq!(wires.body["count"], 1, "{:?}", wires.body);
    assert!(wires.body["transfer"][0]["id"].is_string());

    // Only a scheduled transaction cancels; the sandbox schedules none.
    let id = first.as_str().unwrap();
    let cancel = sandbox
        .weavr_call(
            Method::POST,
            &format!("/multi/sends/{id}/cancel"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        (cancel.status, code(&cancel)),
        (StatusCode::CONFLICT, "INVALID_STATE")
    );
    let unknown = sandbox
        .weavr_call(Method::POST, "/multi/sends/123/cancel", &token, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
