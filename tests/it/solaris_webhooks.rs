//! Solaris' webhooks as its reference gives them: subscriptions per event
//! type, checked with an empty POST on creation and answered with a secret
//! shown once; notifications signed `sha256=<hex HMAC of the body>` with
//! that secret, the entity in `Solaris-Entity-Id`; 410 cancels a
//! subscription, 422 is never retried, anything else is retried.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::TestSandbox;

fn hmac_hex(key: &str, body: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    let tag = ring::hmac::sign(&key, body.as_bytes());
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

async fn subscribe(sandbox: &TestSandbox, token: &str, event: &str, url: &str) -> Value {
    let created = sandbox
        .solaris(
            Method::POST,
            "/v1/webhooks",
            token,
            Some(json!({ "event_type": event, "url": url })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body
}

async fn inbox(sandbox: &TestSandbox, name: &str, since: u64) -> Vec<Value> {
    let got = sandbox
        .get(&format!(
            "/__admin/webhook-inbox/{name}?since={since}&wait=5s"
        ))
        .await;
    got.body.as_array().unwrap().clone()
}

/// Runs a change request of `path` through static TAN to completion.
async fn confirm_static(sandbox: &TestSandbox, token: &str, held: &Value) {
    let id = held["id"]
        .as_str()
        .unwrap_or_else(|| panic!("not a change request: {held}"));
    let authorized = sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/authorize"),
            token,
            Some(json!({"person_id": "person-1", "delivery_method": "static"})),
        )
        .await;
    assert_eq!(
        authorized.status,
        StatusCode::CREATED,
        "{}",
        authorized.body
    );
    let done = sandbox
        .solaris(
            Method::POST,
            &format!("/v1/change_requests/{id}/confirm"),
            token,
            Some(json!({"person_id": "person-1", "tan": "212212"})),
        )
        .await;
    assert_eq!(done.body["status"], "COMPLETED", "{}", done.body);
}

/// Updates person-1's first name, confirmed by static TAN.
async fn patch_person(sandbox: &TestSandbox, token: &str) {
    let patch = sandbox
        .solaris(
            Method::PATCH,
            "/v1/persons/person-1",
            token,
            Some(json!({"first_name": "Erika"})),
        )
        .await;
    confirm_static(sandbox, token, &patch.body).await;
}

/// Deletes person-1's mobile number, confirmed by static TAN.
async fn delete_mobile(sandbox: &TestSandbox, token: &str) {
    let deleted = sandbox
        .solaris(
            Method::DELETE,
            "/v1/persons/person-1/mobile_number",
            token,
            None,
        )
        .await;
    confirm_static(sandbox, token, &deleted.body).await;
}

/// Adds person-1's mobile number again (unverified).
async fn add_mobile(sandbox: &TestSandbox, token: &str) {
    let added = sandbox
        .solaris(
            Method::POST,
            "/v1/persons/person-1/mobile_number",
            token,
            Some(json!({"number": "+15550101"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
}

/// The newest delivery of `/__admin/webhooks{query}` once it is `state`.
async fn settled(sandbox: &TestSandbox, query: &str, state: &str) -> Value {
    let mut delivery = Value::Null;
    for _ in 0..50 {
        delivery = sandbox.get(&format!("/__admin/webhooks{query}")).await.body[0].clone();
        if delivery["state"] == state {
            break;
        }
    }
    delivery
}

/// Checks the headers and the signature as a receiver following the
/// reference checks them.
fn check(arrival: &Value, secret: &str, event: &str, entity: &str) {
    let h = &arrival["headers"];
    assert_eq!(h["solaris-webhook-event-type"], event);
    assert_eq!(h["solaris-entity-id"], entity);
    assert_eq!(h["solaris-webhook-attempt"], "1");
    assert!(h["solaris-webhook-id"].is_string());
    assert!(h["solaris-webhook-subscription-id"].is_string());
    let body = arrival["body"].to_string();
    assert_eq!(
        h["solaris-webhook-signature"],
        format!("sha256={}", hmac_hex(secret, &body))
    );
    assert_eq!(arrival["verified"], true);
}

#[tokio::test]
async fn a_subscription_is_checked_then_gets_each_event_signed_with_its_secret() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let booking = subscribe(&sandbox, &token, "BOOKING", "inbox:sol").await;
    let secret = booking["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32);
    // The check: an empty POST naming WEBHOOK-SUBSCRIPTION.
    let got = inbox(&sandbox, "sol", 0).await;
    assert_eq!(
        got[0]["headers"]["solaris-webhook-event-type"],
        "WEBHOOK-SUBSCRIPTION"
    );
    // The secret is shown once: the list and the read leave it out.
    let list = sandbox
        .solaris(Method::GET, "/v1/webhooks", &token, None)
        .await;
    assert_eq!(list.body[0]["event_type"], "BOOKING");
    assert!(list.body[0].get("secret").is_none());
    let id = booking["id"].as_str().unwrap();
    let one = sandbox
        .solaris(Method::GET, &format!("/v1/webhooks/{id}"), &token, None)
        .await;
    assert_eq!(one.body["url"], "inbox:sol");
    assert!(one.body.get("secret").is_none());

    let people = subscribe(&sandbox, &token, "PERSON_CHANGED", "inbox:sol").await;
    let mobile = subscribe(
        &sandbox,
        &token,
        "PERSON_MOBILE_NUMBER_DELETED",
        "inbox:sol",
    )
    .await;
    let since = inbox(&sandbox, "sol", 0).await.last().unwrap()["seq"]
        .as_u64()
        .unwrap();

    // A SEPA credit transfer, confirmed: BOOKING, the amount leaving.
    let held = sandbox.transfer(&token, 12_345).await.body;
    confirm_static(&sandbox, &token, &held).await;
    let got = inbox(&sandbox, "sol", since).await;
    let booked = &got[0];
    let booking_id = booked["body"]["id"].as_str().unwrap();
    check(booked, &secret, "BOOKING", booking_id);
    let b = &booked["body"];
    assert_eq!(b["booking_type"], "SEPA_CREDIT_TRANSFER");
    assert_eq!(
        b["amount"],
        json!({"value": -12_345, "unit": "cents", "currency": "EUR"})
    );
    assert_eq!(b["recipient_iban"], "DE89370400440532013000");
    assert_eq!(b["recipient_name"], "Jane Doe");
    assert_eq!(b["description"], "Invoice 42");
    assert!(b["sender_iban"].as_str().unwrap().starts_with("DE"));
    assert!(b["booking_date"].as_str().unwrap().len() == 10);

    // The person changed: PERSON_CHANGED, an empty body, the person in the header.
    let since = booked["seq"].as_u64().unwrap();
    patch_person(&sandbox, &token).await;
    let got = inbox(&sandbox, "sol", since).await;
    check(
        &got[0],
        people["secret"].as_str().unwrap(),
        "PERSON_CHANGED",
        "person-1",
    );
    assert_eq!(got[0]["body"], json!({}));

    // The mobile number deleted: its id in the body.
    let since = got[0]["seq"].as_u64().unwrap();
    delete_mobile(&sandbox, &token).await;
    let got = inbox(&sandbox, "sol", since).await;
    check(
        &got[0],
        mobile["secret"].as_str().unwrap(),
        "PERSON_MOBILE_NUMBER_DELETED",
        "person-1",
    );
    assert!(got[0]["body"]["id"].is_string());

    // Deleted, a subscription gets nothing more.
    let gone = sandbox
        .solaris(Method::DELETE, &format!("/v1/webhooks/{id}"), &token, None)
        .await;
    assert_eq!(gone.status, StatusCode::OK);
    let again = sandbox
        .solaris(Method::GET, &format!("/v1/webhooks/{id}"), &token, None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn subscriptions_are_validated_and_a_410_cancels_one() {
    let rules = "rules:\n  - when: { operation: solaris.webhook.person_mobile_number_created }\n    respond: { status: 410 }\n\
                 \x20 - when: { operation: solaris.webhook.person_changed }\n    respond: { status: 422 }\n";
    let sandbox = TestSandbox::with(rules).await;
    let token = sandbox.solaris_token().await;
    for (body, field) in [
        (
            json!({"event_type": "BOOKING", "url": "http://example.com/hook"}),
            "url",
        ),
        (
            json!({"event_type": "booking", "url": "https://example.com/hook"}),
            "event_type",
        ),
    ] {
        let refused = sandbox
            .solaris(Method::POST, "/v1/webhooks", &token, Some(body))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["source"]["field"], field);
    }
    // 422: rejected, never retried (first: the patch needs the verified number).
    subscribe(&sandbox, &token, "PERSON_CHANGED", "inbox:x").await;
    patch_person(&sandbox, &token).await;
    let delivery = settled(&sandbox, "?event=PERSON_CHANGED", "failed").await;
    assert_eq!(delivery["state"], "failed", "{delivery}");
    assert!(delivery["next_attempt_at"].is_null());
    // 410: the subscription is cancelled.
    let created = subscribe(&sandbox, &token, "PERSON_MOBILE_NUMBER_CREATED", "inbox:x").await;
    delete_mobile(&sandbox, &token).await;
    add_mobile(&sandbox, &token).await;
    let id = created["id"].as_str().unwrap();
    let mut gone = StatusCode::OK;
    for _ in 0..50 {
        gone = sandbox
            .solaris(Method::GET, &format!("/v1/webhooks/{id}"), &token, None)
            .await
            .status;
        if gone == StatusCode::NOT_FOUND {
            break;
        }
    }
    assert_eq!(
        gone,
        StatusCode::NOT_FOUND,
        "a 410 cancels the subscription"
    );
}

#[tokio::test]
async fn the_scenario_receiver_gets_events_signed_with_its_secret_and_retries_count() {
    let base = crate::support::default_without_users_and_rules();
    let yaml = base.replacen(
        "\n  solaris:\n",
        "\n  solaris:\n    webhooks: { url: \"inbox:static\", secret: s3cret, events: [PERSON_MOBILE_NUMBER_CREATED] }\n",
        1,
    );
    assert_ne!(yaml, base);
    let yaml = format!(
        "{yaml}rules:\n  - when: {{ operation: solaris.webhook.person_mobile_number_created, times: 1 }}\n    respond: {{ status: 500 }}\n"
    );
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let token = sandbox.solaris_token().await;
    delete_mobile(&sandbox, &token).await;
    add_mobile(&sandbox, &token).await;
    // The first attempt gets a 500; the retry a minute later arrives as attempt 2.
    let delivery = settled(&sandbox, "", "retrying").await;
    assert_eq!(delivery["state"], "retrying", "{delivery}");
    sandbox.advance("1m").await;
    let got = inbox(&sandbox, "static", 0).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let h = &got[0]["headers"];
    assert_eq!(h["solaris-webhook-subscription-id"], "STATIC-SUBSCRIPTION");
    assert_eq!(h["solaris-webhook-attempt"], "2");
    assert_eq!(got[0]["body"], json!({}));
    assert_eq!(
        h["solaris-webhook-signature"],
        format!("sha256={}", hmac_hex("s3cret", "{}"))
    );
    assert_eq!(got[0]["verified"], true);
}
