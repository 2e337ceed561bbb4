//! The control API: health, clock, outbox, timeline, journal, reset, stats.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestSandbox;

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .to_utc()
}

#[tokio::test]
async fn health_reports_ok_and_the_version() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox.get("/__admin/health").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
    );
}

#[tokio::test]
async fn the_clock_freezes_advances_and_jumps() {
    let sandbox = TestSandbox::start().await;
    let frozen = sandbox
        .post("/__admin/clock", json!({"frozen": true}))
        .await
        .body;
    assert_eq!(frozen["frozen"], true);
    let advanced = sandbox
        .post("/__admin/clock", json!({"advance": "5m"}))
        .await
        .body;
    assert_eq!(
        (time(&advanced["now"]) - time(&frozen["now"])).num_seconds(),
        300
    );
    assert_eq!(sandbox.get("/__admin/clock").await.body, advanced);
    let set = sandbox
        .post("/__admin/clock", json!({"set": "2026-01-01T00:00:00Z"}))
        .await
        .body;
    assert_eq!(set["now"], "2026-01-01T00:00:00.000Z");
    let running = sandbox
        .post("/__admin/clock", json!({"frozen": false}))
        .await
        .body;
    assert_eq!(running["frozen"], false);
    assert!(time(&running["now"]).timestamp() < 1_767_225_700);
    let bad = sandbox
        .post("/__admin/clock", json!({"advance": "soon"}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn lifetimes_follow_the_sandbox_clock() {
    let sandbox = TestSandbox::start().await;
    sandbox
        .post("/__admin/clock", json!({"set": "2030-05-01T10:00:00Z"}))
        .await;
    let created = sandbox.shine_create().await.body;
    assert_eq!(
        created["data"]["createdAt"],
        "2030-05-01T10:00:00.000000000Z"
    );
    assert_eq!(
        created["data"]["expiresAt"],
        "2030-05-01T10:03:00.000000000Z"
    );
}

#[tokio::test]
async fn the_outbox_takes_filters_and_long_polls() {
    let sandbox = TestSandbox::start().await;
    let sent = sandbox
        .post(
            "/__admin/sms",
            json!({"to": "+15550101", "text": "Your code is 212212", "code": "212212"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED);
    assert_eq!(sent.body["provider"], "sandbox");
    let seq = sent.body["seq"].as_u64().unwrap();
    sandbox
        .post(
            "/__admin/sms",
            json!({"to": "+4915112345678", "text": "other"}),
        )
        .await;

    let to = sandbox.get("/__admin/sms?to=%2B15550101").await.body;
    assert_eq!(to.as_array().unwrap().len(), 1);
    assert_eq!(to[0]["code"], "212212");
    assert_eq!(to[0]["purpose"], "manual");
    let later = sandbox.get(&format!("/__admin/sms?since={seq}")).await.body;
    assert_eq!(later.as_array().unwrap().len(), 1);
    assert_eq!(later[0]["to"], "+4915112345678");

    // A waiting reader gets the next message as soon as it is sent.
    let waiting = tokio::spawn({
        let req = sandbox
            .http
            .get(sandbox.url(&format!("/__admin/sms?to=%2B1&since={}&wait=10s", seq + 1)));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    });
    sandbox
        .post(
            "/__admin/sms",
            json!({"to": "+2", "text": "not for the reader"}),
        )
        .await;
    sandbox
        .post(
            "/__admin/sms",
            json!({"to": "+1", "text": "for the reader", "purpose": "test"}),
        )
        .await;
    let got = waiting.await.unwrap();
    assert_eq!(got.as_array().unwrap().len(), 1, "{got}");
    assert_eq!(got[0]["text"], "for the reader");

    // With nothing to come, the wait ends empty.
    let none = sandbox.get("/__admin/sms?to=nobody&wait=50ms").await;
    assert_eq!(none.body, json!([]));
    let bad = sandbox.get("/__admin/sms?since=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = sandbox
        .post("/__admin/sms", json!({"to": " ", "text": "x"}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let events = sandbox.get("/__admin/events?type=sms.sent").await.body;
    assert_eq!(events.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn the_timeline_long_polls_for_events() {
    let sandbox = TestSandbox::start().await;
    let waiting = tokio::spawn({
        let req = sandbox
            .http
            .get(sandbox.url("/__admin/events?provider=shine&wait=10s"));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    });
    let id = sandbox.shine_create_id().await;
    let got = waiting.await.unwrap();
    assert_eq!(got[0]["type"], "action_request.created");
    assert_eq!(got[0]["subject"], id);
    assert_eq!(got[0]["provider"], "shine");
}

#[tokio::test]
async fn the_journal_records_operation_status_and_leaves_out_query_secrets() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    sandbox.shine_poll(&id).await;
    sandbox.get("/shine/nothing").await;
    let journal = sandbox.get("/__admin/journal?provider=shine").await.body;
    let entries = journal.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["operation"], "shine.action_request.create");
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(entries[1]["operation"], "shine.action_request.poll");
    assert_eq!(entries[1]["status"], 200);
    assert!(!entries[1]["path"].as_str().unwrap().contains("secret"));
    assert_eq!(entries[2]["operation"], Value::Null);
    assert_eq!(entries[2]["status"], 404);
    let limited = sandbox.get("/__admin/journal?limit=1").await.body;
    assert_eq!(limited.as_array().unwrap().len(), 1);
    assert_eq!(limited[0]["status"], 404);
}

#[tokio::test]
async fn reset_drops_all_state_and_reloads_fixtures() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    sandbox
        .post("/__admin/sms", json!({"to": "+1", "text": "x"}))
        .await;
    sandbox
        .post("/__admin/clock", json!({"advance": "1h"}))
        .await;
    let reset = sandbox.post("/__admin/reset", Value::Null).await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sandbox.get("/__admin/sms").await.body, json!([]));
    assert_eq!(
        sandbox
            .get("/__admin/journal")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(sandbox.get("/__admin/clock").await.body["frozen"], false);
    // Fixtures are back: the demo client works.
    assert_eq!(sandbox.shine_create().await.status, StatusCode::OK);
}

#[tokio::test]
async fn stats_count_live_objects() {
    let sandbox = TestSandbox::start().await;
    sandbox.shine_create_id().await;
    let stats = sandbox.get("/__admin/stats").await.body;
    assert_eq!(stats["shine"]["action_requests"], 1);
    assert_eq!(stats["in_flight"], 0);
}

#[tokio::test]
async fn the_index_lists_providers_and_the_control_api() {
    let sandbox = TestSandbox::start().await;
    let index = sandbox.get("/").await.body;
    let paths: Vec<&str> = index["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["base_path"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = sca_sandbox::Provider::ALL
        .iter()
        .map(|p| format!("/{}", p.name()))
        .collect();
    assert_eq!(paths, expected);
    assert_eq!(index["control"], "/__admin");
}

#[tokio::test]
async fn the_openapi_description_is_served_as_json() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox.get("/__admin/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["openapi"], "3.1.0");
    let poll = &answer.body["paths"]["/shine/v2/authentication/oauth2/action_request/{id}/poll"];
    assert_eq!(
        poll["get"]["x-sandbox-operation"],
        "shine.action_request.poll"
    );
    assert_eq!(
        answer.body["paths"]["/__admin/openapi.json"]["get"]["operationId"],
        "adminOpenapi"
    );
}

#[tokio::test]
async fn the_index_takes_only_get() {
    let sandbox = TestSandbox::start().await;
    let answer = sandbox.post("/", json!({})).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "GET");
    assert_eq!(answer.body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn malformed_control_requests_are_refused_with_the_field() {
    let sandbox = TestSandbox::start().await;
    let journal = sandbox.get("/__admin/journal?limit=null").await;
    assert_eq!(journal.status, StatusCode::BAD_REQUEST);
    assert_eq!(journal.body["error"]["field"], "limit");

    // Without a body there is no field to name, and none is named.
    let clock = sandbox
        .send(sandbox.http.post(sandbox.url("/__admin/clock")))
        .await;
    assert_eq!(clock.status, StatusCode::BAD_REQUEST);
    assert_eq!(clock.body["error"]["code"], "invalid_body");
    assert!(clock.body["error"].get("field").is_none(), "{}", clock.body);

    // An empty scenario would wipe the world; it is refused and nothing changes.
    for req in [
        sandbox.http.post(sandbox.url("/__admin/scenarios")),
        sandbox
            .http
            .put(sandbox.url("/__admin/tenants/ci-1/scenario"))
            .body("  \n"),
    ] {
        let answer = sandbox.send(req).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.body["error"]["code"], "invalid_scenario");
    }
    let active = sandbox.get("/__admin/scenarios").await;
    assert_eq!(active.body["active"]["name"], "default");
}

#[tokio::test]
async fn a_duration_in_words_is_refused_with_the_forms_it_takes() {
    let sandbox = TestSandbox::start().await;
    let refused = sandbox
        .post("/__admin/clock", json!({"advance": "5 minutes"}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = refused.body["error"]["message"].as_str().unwrap();
    for form in ["`150ms`", "`30s`", "`5m`", "`1h`", "`1m30s`"] {
        assert!(message.contains(form), "{message}");
    }
}

#[tokio::test]
async fn the_description_names_the_server_as_the_request_reached_it() {
    let sandbox = TestSandbox::start().await;
    let description = sandbox.get("/__admin/openapi.json").await.body;
    assert_eq!(
        description["servers"],
        json!([{ "url": sandbox.url("") }]),
        "the port this sandbox has, not 4242"
    );
    let by_name = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/openapi.json"))
                .header("host", "localhost:8080"),
        )
        .await;
    assert_eq!(by_name.body["servers"][0]["url"], "http://localhost:8080");
    assert!(by_name.body["paths"].as_object().unwrap().len() > 100);
}
