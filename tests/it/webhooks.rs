//! Weavr's webhooks, as its webhook description gives them: the events of
//! the flows the sandbox serves, both signatures checked here the way the
//! description says a receiver checks them, the bodies' required fields and
//! enums, and the engine's retries on the sandbox clock and scenario faults.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{default_without_users_and_rules, TestSandbox};
use crate::weavr_reference::{numeric, one_of, BUYER};

const KEY: &str = "weavr-sandbox-key";

/// The events most tests watch: every one but the logins each test makes.
const ALL_BUT_LOGIN: &str =
    "[/stepup/watch, /authentication_factors/watch, /send/watch, /outgoing_wire_transfers/watch]";

/// The default world with Weavr's webhooks going to `url`, and `rules`.
fn scenario(url: &str, rules: &str) -> String {
    scenario_for(url, ALL_BUT_LOGIN, rules)
}

/// The same, with the receiver taking only `events`.
fn scenario_for(url: &str, events: &str, rules: &str) -> String {
    let base = default_without_users_and_rules();
    let with = base.replacen(
        "\n  weavr:\n",
        &format!("\n  weavr:\n    webhooks: {{ url: \"{url}\", events: {events} }}\n"),
        1,
    );
    assert_ne!(with, base, "the default scenario has settings.weavr");
    format!("{with}rules:\n{rules}")
}

async fn sandbox(url: &str, rules: &str) -> TestSandbox {
    TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(scenario(url, rules))).await
}

/// What arrived in the inbox after `since`, waiting up to 5 s for the first.
async fn arrivals(sandbox: &TestSandbox, inbox: &str, since: u64) -> Vec<Value> {
    let answer = sandbox
        .get(&format!(
            "/__admin/webhook-inbox/{inbox}?since={since}&wait=5s"
        ))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body.as_array().unwrap().clone()
}

/// What arrived so far, without waiting.
async fn arrived_now(sandbox: &TestSandbox, inbox: &str) -> Vec<Value> {
    sandbox
        .get(&format!("/__admin/webhook-inbox/{inbox}"))
        .await
        .body
        .as_array()
        .unwrap()
        .clone()
}

fn hmac(key: &str, parts: &[&str]) -> String {
    use base64ct::Encoding;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    let mut ctx = ring::hmac::Context::with_key(&key);
    for p in parts {
        ctx.update(p.as_bytes());
    }
    base64ct::Base64::encode_string(ctx.sign().as_ref())
}

/// Checks both signatures as the description says: `signature` is the
/// HMAC of `published-timestamp`, `signature-v2` of call-ref, payload and
/// timestamp, both keyed with the API key; and the body's timestamp is the
/// header's.
fn check_signed(arrival: &Value) {
    let h = &arrival["headers"];
    let published = h["published-timestamp"].as_str().unwrap();
    assert!(
        published.parse::<i64>().is_ok(),
        "epoch millis: {published}"
    );
    let call_ref = h["call-ref"].as_str().unwrap();
    assert!(!call_ref.is_empty() && call_ref.len() <= 255);
    let payload = arrival["body"].to_string();
    assert_eq!(h["signature"], hmac(KEY, &[published]));
    assert_eq!(
        h["signature-v2"],
        hmac(KEY, &[call_ref, &payload, published])
    );
    assert_eq!(arrival["body"]["publishedTimestamp"], published);
    assert_eq!(arrival["verified"], true);
}

/// Approves a push as the user on the phone, through the control API.
async fn approve(sandbox: &TestSandbox, id: &str) {
    let answer = sandbox
        .post(
            &format!("/__admin/weavr/push_challenges/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// The newest delivery, once it reaches `state` (its attempt runs on a task).
async fn newest_in(sandbox: &TestSandbox, state: &str) -> Value {
    let mut delivery = Value::Null;
    for _ in 0..50 {
        delivery = sandbox.get("/__admin/webhooks").await.body[0].clone();
        if delivery["state"] == state {
            break;
        }
        tokio::task::yield_now().await;
    }
    delivery
}

async fn push_step_up(sandbox: &TestSandbox, token: &str) -> String {
    let push = sandbox
        .weavr_call(
            Method::POST,
            "/multi/stepup/challenges/push/BIOMETRIC",
            token,
            None,
        )
        .await;
    assert_eq!(push.status, StatusCode::OK, "{}", push.body);
    push.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_push_step_up_approved_on_the_phone_reaches_the_receiver_signed() {
    let sandbox = sandbox("inbox:ci", " []\n").await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let id = push_step_up(&sandbox, &token).await;
    assert!(arrived_now(&sandbox, "ci").await.is_empty(), "nothing yet");
    approve(&sandbox, &id).await;
    let got = arrivals(&sandbox, "ci", 0).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let hook = &got[0];
    assert_eq!(hook["event"], "/stepup/watch");
    assert_eq!(hook["provider"], "weavr");
    check_signed(hook);
    // StepupEvent: challengeId, credential, identity, publishedTimestamp,
    // status and type are required.
    let body = &hook["body"];
    assert_eq!(body["challengeId"], id.as_str());
    numeric(&body["challengeId"]);
    one_of(&body["credential"]["type"], &["ROOT", "USER", "API_CLIENT"]);
    numeric(&body["credential"]["id"]);
    numeric(&body["identity"]["id"]);
    assert!(body["identity"]["type"].is_string());
    assert_eq!(body["type"], "BIOMETRIC");
    one_of(&body["status"], &["VERIFIED", "DECLINED", "EXPIRED"]);
    assert_eq!(body["status"], "VERIFIED");

    // The delivery and its attempt, from the control API.
    let list = sandbox.get("/__admin/webhooks?provider=weavr").await.body;
    let delivery = &list[0];
    assert_eq!(delivery["state"], "delivered");
    assert_eq!(delivery["event"], "/stepup/watch");
    assert_eq!(delivery["attempts"][0]["status"], 204);
    assert_eq!(delivery["url"], "inbox:ci");

    // A rejected push is DECLINED.
    let second = push_step_up(&sandbox, &sandbox.weavr_login("/multi", BUYER).await).await;
    sandbox
        .post(
            &format!("/__admin/weavr/push_challenges/{second}/reject"),
            json!({}),
        )
        .await;
    let got = arrivals(&sandbox, "ci", got[0]["seq"].as_u64().unwrap()).await;
    assert_eq!(got[0]["body"]["status"], "DECLINED");
}

#[tokio::test]
async fn a_send_reports_each_state_confirmed_by_otp_and_by_push() {
    let sandbox = sandbox("inbox:tx", " []\n").await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let send = sandbox.send_money(&token, 1000).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let otp = format!("/multi/sends/{send}/challenges/otp/SMS");
    sandbox.weavr(&otp, Some(&token), None).await;
    let verified = sandbox
        .weavr_code(&format!("{otp}/verify"), &token, "123456")
        .await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT);
    let mut got = arrivals(&sandbox, "tx", 0).await;
    for _ in 0..10 {
        if got.len() >= 2 {
            break;
        }
        let last = got.last().map_or(0, |a| a["seq"].as_u64().unwrap());
        got.extend(arrivals(&sandbox, "tx", last).await);
    }
    let events: Vec<&Value> = got.iter().map(|a| &a["body"]["eventType"]).collect();
    assert_eq!(events, [&json!("PENDING_CHALLENGE"), &json!("COMPLETED")]);
    for arrival in &got {
        assert_eq!(arrival["event"], "/send/watch");
        check_signed(arrival);
        // SendEvent and LegacySend's required fields.
        let s = &arrival["body"]["send"];
        assert_eq!(s["id"]["id"], send.as_str());
        numeric(&s["profileId"]);
        numeric(&s["creationTimestamp"]);
        numeric(&s["destinationAmount"]["amount"]);
        numeric(&s["transactionAmount"]["amount"]);
        assert_eq!(s["destinationAmount"]["currency"], "EUR");
        one_of(&s["source"]["type"], &["managed_cards", "managed_accounts"]);
        one_of(
            &s["destination"]["type"],
            &["managed_cards", "managed_accounts"],
        );
        one_of(
            &arrival["body"]["eventType"],
            &[
                "PENDING",
                "COMPLETED",
                "FAILED",
                "PENDING_CHALLENGE",
                "INVALID",
                "SCHEDULED",
                "CANCELLED",
            ],
        );
    }
    assert_eq!(got[1]["body"]["send"]["state"], "COMPLETED");
    numeric(&got[1]["body"]["send"]["executionTimestamp"]);

    // By push: approved on the phone, COMPLETED.
    let (second, pending) = sandbox.pushed_send(&token, 700).await;
    approve(&sandbox, pending["id"].as_str().unwrap()).await;
    let since = got.last().unwrap()["seq"].as_u64().unwrap();
    let mut later = arrivals(&sandbox, "tx", since).await;
    while later.len() < 2 {
        let last = later.last().unwrap()["seq"].as_u64().unwrap();
        later.extend(arrivals(&sandbox, "tx", last).await);
    }
    let completed = later
        .iter()
        .find(|a| {
            a["body"]["send"]["id"]["id"] == second.as_str()
                && a["body"]["eventType"] == "COMPLETED"
        })
        .expect("the pushed send completed");
    check_signed(completed);
}

#[tokio::test]
async fn a_wire_transfer_reports_its_owner_and_destination() {
    let sandbox = sandbox("inbox:owt", " []\n").await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let wire = sandbox.wire(&token).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = arrivals(&sandbox, "owt", 0).await;
    let body = &got[0]["body"];
    assert_eq!(got[0]["event"], "/outgoing_wire_transfers/watch");
    check_signed(&got[0]);
    numeric(&body["owner"]["id"]);
    assert_eq!(body["eventType"], "PENDING_CHALLENGE");
    let t = &body["transfer"];
    assert_eq!(t["id"]["id"], wire.as_str());
    one_of(&t["type"], &["SEPA", "FASTER_PAYMENTS", "SWIFT", "RIX"]);
    assert!(t["destination"]["beneficiaryName"].is_string(), "{t}");
    numeric(&t["transactionAmount"]["amount"]);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_when_the_clock_reaches_it_and_not_before() {
    let rules =
        "  - when: { operation: weavr.webhook.stepup, times: 1 }\n    fault: dead_endpoint\n";
    let sandbox = sandbox("inbox:retry", rules).await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let id = push_step_up(&sandbox, &token).await;
    approve(&sandbox, &id).await;
    // The first attempt fails; the retry waits a minute of sandbox time.
    let delivery = newest_in(&sandbox, "retrying").await;
    assert_eq!(delivery["state"], "retrying", "{delivery}");
    assert!(delivery["attempts"][0]["error"]
        .as_str()
        .unwrap()
        .contains("dead endpoint"));
    assert!(delivery["next_attempt_at"].is_string());
    sandbox.advance("59s").await;
    assert!(
        arrived_now(&sandbox, "retry").await.is_empty(),
        "not before the minute"
    );
    sandbox.advance("1s").await;
    let got = arrivals(&sandbox, "retry", 0).await;
    assert_eq!(got.len(), 1);
    check_signed(&got[0]);
    let delivery = sandbox
        .get(&format!(
            "/__admin/webhooks/{}",
            delivery["id"].as_str().unwrap()
        ))
        .await
        .body;
    assert_eq!(delivery["state"], "delivered");
    assert_eq!(delivery["attempts"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_delayed_webhook_waits_for_the_clock() {
    let rules = "  - when: { operation: weavr.webhook.send }\n    delay: 30s\n";
    let sandbox = sandbox("inbox:late", rules).await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    sandbox.send_money(&token, 100).await;
    let _ = sandbox.get("/__admin/health").await;
    assert!(arrived_now(&sandbox, "late").await.is_empty());
    sandbox.advance("30s").await;
    assert_eq!(arrivals(&sandbox, "late", 0).await.len(), 1);
}

#[tokio::test]
async fn faults_drop_duplicate_reorder_and_corrupt() {
    let rules = "  - when: { operation: weavr.webhook.send, nth: 1 }\n    fault: drop\n\
                 \x20 - when: { operation: weavr.webhook.send, nth: 2 }\n    fault: duplicate\n\
                 \x20 - when: { operation: weavr.webhook.send, nth: 3 }\n    fault: out_of_order\n\
                 \x20 - when: { operation: weavr.webhook.send, nth: 5 }\n    fault: corrupt_signature\n";
    let sandbox = sandbox("inbox:f", rules).await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let mut ids = Vec::new();
    for amount in [101, 102, 103, 104, 105] {
        let id = sandbox.send_money(&token, amount).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ids.push(id);
        // Each event's delivery settles before the next send.
        for _ in 0..50 {
            let list = sandbox.get("/__admin/webhooks").await.body;
            if list[0]["state"] != "pending" {
                break;
            }
        }
    }
    let mut got = Vec::new();
    while got.len() < 5 {
        let last = got.last().map_or(0, |a: &Value| a["seq"].as_u64().unwrap());
        let more = arrivals(&sandbox, "f", last).await;
        assert!(!more.is_empty(), "5 arrivals, got {got:?}");
        got.extend(more);
    }
    let order: Vec<&str> = got
        .iter()
        .map(|a| a["body"]["send"]["id"]["id"].as_str().unwrap())
        .collect();
    // 1 dropped; 2 twice; 3 held until 4 went; 5 with a spoilt signature.
    assert_eq!(order, [&ids[1], &ids[1], &ids[3], &ids[2], &ids[4]]);
    assert_eq!(
        got[0]["headers"]["call-ref"], got[1]["headers"]["call-ref"],
        "a duplicate is the same call"
    );
    assert_eq!(got[4]["verified"], false);
    assert!(got[..4].iter().all(|a| a["verified"] == true));
    let dropped = sandbox.get("/__admin/webhooks?state=dropped").await.body;
    assert_eq!(dropped.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_receiver_over_http_gets_the_event_path_and_its_answer_is_kept() {
    // The sandbox's own inbox, reached over HTTP as any receiver is: the
    // event's path is appended to the base URL.
    let sandbox = TestSandbox::start().await;
    let base = sandbox.url("/__admin/webhook-inbox/http");
    let yaml = scenario(
        &base,
        "  - when: { operation: weavr.webhook.stepup, times: 1 }\n    respond: { status: 500, body: { error: down } }\n",
    );
    let loaded = sandbox.load_scenario(yaml).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let token = sandbox.weavr_login("/multi", BUYER).await;
    let id = push_step_up(&sandbox, &token).await;
    approve(&sandbox, &id).await;
    let delivery = newest_in(&sandbox, "retrying").await;
    assert_eq!(delivery["attempts"][0]["status"], 500, "{delivery}");
    assert_eq!(delivery["url"], format!("{base}/stepup/watch"));
    // Redelivered by hand, now: over HTTP to the inbox, which checks it.
    let id = delivery["id"].as_str().unwrap();
    let again = sandbox
        .post(&format!("/__admin/webhooks/{id}/redeliver"), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    let got = arrivals(&sandbox, "http", 0).await;
    assert_eq!(got[0]["event"], "/stepup/watch");
    assert_eq!(got[0]["provider"], "weavr");
    assert_eq!(got[0]["verified"], true);
    let unknown = sandbox
        .post("/__admin/webhooks/whd_999/redeliver", json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_receiver_or_a_webhook_fault_elsewhere_is_refused_with_its_place() {
    let sandbox = TestSandbox::start().await;
    let bad_url = scenario("ftp://x", " []\n");
    let refused = sandbox.load_scenario(bad_url).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let text = refused.body.to_string();
    assert!(text.contains("inbox:<name>"), "{text}");
    assert!(refused.body["error"]["line"].is_number(), "{text}");
    let misplaced = scenario(
        "inbox:x",
        "  - when: { operation: weavr.multi_send.create }\n    fault: duplicate\n",
    );
    let refused = sandbox.load_scenario(misplaced).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.to_string().contains("is for webhooks"),
        "{}",
        refused.body
    );
    let unknown_event = scenario_for("inbox:x", "[/nope/watch]", " []\n");
    let refused = sandbox.load_scenario(unknown_event).await;
    assert!(
        refused.body.to_string().contains("/stepup/watch"),
        "{}",
        refused.body
    );
    // Without a receiver, nothing is sent.
    let token = sandbox.weavr_login("/multi", BUYER).await;
    sandbox.send_money(&token, 100).await;
    assert_eq!(sandbox.get("/__admin/webhooks").await.body, json!([]));
}

#[tokio::test]
async fn the_dashboard_timeline_redelivers_a_webhook() {
    let sandbox = sandbox("inbox:dash", " []\n").await;
    let token = sandbox.weavr_login("/multi", BUYER).await;
    sandbox.send_money(&token, 100).await;
    let first = arrivals(&sandbox, "dash", 0).await;
    assert_eq!(first.len(), 1);
    let delivery = first[0]["delivery"].as_str().unwrap().to_owned();
    let (_, _, page) = sandbox.page("/timeline?provider=weavr").await;
    assert!(page.contains("webhook.delivered"), "{page}");
    assert!(page.contains("data-testid=\"webhook-redeliver\""), "{page}");
    assert!(page.contains(&format!("value=\"{delivery}\"")), "{page}");
    let back = sandbox
        .press(&[
            ("action", "webhook_redeliver"),
            ("id", &delivery),
            ("back", "/timeline"),
        ])
        .await;
    assert!(
        back.contains("sent%20again") || back.contains("sent+again"),
        "{back}"
    );
    let again = arrivals(&sandbox, "dash", first[0]["seq"].as_u64().unwrap()).await;
    assert_eq!(again[0]["delivery"], delivery.as_str());
    assert_eq!(
        again[0]["headers"]["call-ref"],
        first[0]["headers"]["call-ref"]
    );
    let gone = sandbox
        .press(&[
            ("action", "webhook_redeliver"),
            ("id", "whd_999"),
            ("back", "/timeline"),
        ])
        .await;
    assert!(gone.contains("gone"), "{gone}");
}

#[tokio::test]
async fn thredd_notify_initiate_action_goes_through_the_same_engine() {
    let rules = "  - when: { operation: thredd.notify_initiate_action.send, nth: 2 }\n    fault: corrupt_signature\n";
    let sandbox = sandbox("inbox:unused", rules).await;
    let first = sandbox.purchase(812_561_666, "inbox:pm", "30s").await;
    let got = arrivals(&sandbox, "pm", 0).await;
    assert_eq!(got[0]["event"], "NotifyInitiateAction");
    assert_eq!(got[0]["provider"], "thredd");
    assert!(got[0]["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer "));
    assert_eq!(got[0]["verified"], true);
    let delivered = sandbox.delivery_event(&first).await;
    assert_eq!(delivered["type"], "thredd.notify_initiate_action.sent");
    let listed = sandbox.get("/__admin/webhooks?provider=thredd").await.body;
    assert_eq!(listed[0]["state"], "delivered");
    assert_eq!(
        listed[0]["attempts"][0]["status"], 200,
        "the inbox answers as Thredd expects"
    );
    // The second: its Bearer token spoilt; the inbox says so.
    sandbox.purchase(812_561_666, "inbox:pm", "30s").await;
    let got = arrivals(&sandbox, "pm", got[0]["seq"].as_u64().unwrap()).await;
    assert_eq!(got[0]["verified"], false);
    assert!(got[0]["headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer "));
}

#[tokio::test]
async fn a_password_login_reports_verified_or_declined() {
    let yaml = scenario_for("inbox:login", "[/login/watch]", " []\n");
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let wrong = sandbox
        .weavr(
            "/multi/login_with_password",
            None,
            Some(json!({ "email": BUYER, "password": { "value": "nope" } })),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    sandbox.weavr_login("/payment-run/v1", BUYER).await;
    let mut got = arrivals(&sandbox, "login", 0).await;
    while got.len() < 2 {
        let last = got.last().unwrap()["seq"].as_u64().unwrap();
        got.extend(arrivals(&sandbox, "login", last).await);
    }
    for (arrival, status) in got.iter().zip(["DECLINED", "VERIFIED"]) {
        assert_eq!(arrival["event"], "/login/watch");
        check_signed(arrival);
        let body = &arrival["body"];
        // LoginEvent: credential, publishedTimestamp, status and type.
        assert_eq!(body["status"], status);
        assert_eq!(body["type"], "PASSWORD");
        one_of(&body["credential"]["type"], &["ROOT", "USER", "API_CLIENT"]);
        numeric(&body["credential"]["id"]);
        numeric(&body["identity"]["id"]);
    }
    assert_eq!(got[0]["body"]["identity"]["type"], "CORPORATE");
    assert_eq!(got[1]["body"]["identity"]["type"], "BUYER");
    // An unknown email names no credential: nothing is sent.
    sandbox
        .weavr(
            "/multi/login_with_password",
            None,
            Some(json!({ "email": "nobody@example.com", "password": { "value": "x" } })),
        )
        .await;
    let _ = sandbox.get("/__admin/health").await;
    let all = sandbox
        .get("/__admin/webhooks?event=/login/watch")
        .await
        .body;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_webhook_list_refuses_a_state_or_limit_it_does_not_know() {
    let sandbox = TestSandbox::start().await;
    for query in [
        "state=null",
        "state=DELIVERED",
        "limit=0",
        "limit=1001",
        "limit=x",
    ] {
        let answer = sandbox.get(&format!("/__admin/webhooks?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let fine = sandbox
        .get("/__admin/webhooks?state=delivered&limit=5")
        .await;
    assert_eq!(fine.status, StatusCode::OK);
}
