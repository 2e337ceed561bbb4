//! Scenario files: rule effects (delay, respond, drop, hang), refusal of bad
//! files with their position, and loading through the control API.

use reqwest::StatusCode;
use serde_json::json;

use crate::server::{raw_exchange, wait_until_in_flight};
use crate::support::TestSandbox;

const POLL_RULE: &str = "rules:\n  - when: { operation: shine.action_request.poll, nth: 2 }\n";

#[tokio::test]
async fn a_delay_holds_the_answer_until_the_sandbox_clock_passes_it() {
    let sandbox = TestSandbox::with(
        "rules:\n  - name: slow-create\n    when: { operation: shine.action_request.create }\n    delay: 2s\n",
    )
    .await;
    let pending = tokio::spawn({
        let req = sandbox
            .http
            .post(sandbox.url("/shine/v2/authentication/oauth2/action_request"))
            .json(&json!({"action": "bank:transfers:create", "client_id": "shine-client",
                "client_secret": "shine-secret", "uid": "user-1", "payload": crate::support::transfer_body()}));
        async move { req.send().await }
    });
    wait_until_in_flight(&sandbox, 1).await;
    sandbox.advance("1s").await;
    assert!(!pending.is_finished());
    sandbox.advance("1s").await;
    let answer = pending.await.unwrap().unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let journal = sandbox
        .get("/__admin/journal?operation=shine.action_request.create")
        .await;
    assert_eq!(journal.body[0]["rule"], "slow-create");
    assert_eq!(journal.body[0]["status"], 200);
}

#[tokio::test]
async fn respond_answers_with_the_scripted_status_headers_and_body() {
    let sandbox = TestSandbox::with(&format!(
        "{POLL_RULE}    respond:\n      status: 503\n      headers: {{ retry-after: \"1\" }}\n      body: {{ message: down for maintenance }}\n"
    ))
    .await;
    let id = sandbox.shine_create_id().await;
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
    let second = sandbox.shine_poll(&id).await;
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.headers["retry-after"], "1");
    assert_eq!(second.body, json!({"message": "down for maintenance"}));
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
    let journal = sandbox
        .get("/__admin/journal?operation=shine.action_request.poll")
        .await;
    let rules: Vec<_> = journal
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].clone())
        .collect();
    assert_eq!(rules, vec![json!(null), json!("#0"), json!(null)]);
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let sandbox = TestSandbox::with(&format!("{POLL_RULE}    fault: drop\n")).await;
    let id = sandbox.shine_create_id().await;
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
    let request = format!(
        "GET /shine/v2/authentication/oauth2/action_request/{id}/poll?client_id=shine-client&client_secret=shine-secret HTTP/1.1\r\nhost: localhost\r\n\r\n"
    );
    let answer = raw_exchange(sandbox.server.addr(), request.as_bytes()).await;
    assert_eq!(answer, "", "the connection closed with nothing written");
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
}

#[tokio::test]
async fn hang_never_answers_until_the_server_stops() {
    let sandbox = TestSandbox::with(&format!("{POLL_RULE}    fault: hang\n")).await;
    let id = sandbox.shine_create_id().await;
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
    let hanging = tokio::spawn({
        let url = sandbox.url(&format!(
            "/shine/v2/authentication/oauth2/action_request/{id}/poll?client_id=shine-client&client_secret=shine-secret"
        ));
        let http = sandbox.http.clone();
        async move { http.get(url).send().await }
    });
    wait_until_in_flight(&sandbox, 1).await;
    // Other requests are not held up, and advancing the clock changes nothing.
    sandbox.advance("1h").await;
    assert_eq!(sandbox.get("/__admin/health").await.status, StatusCode::OK);
    assert!(!hanging.is_finished());
    let TestSandbox { server, .. } = sandbox;
    server.shutdown().await;
    let result = hanging.await.unwrap();
    assert!(result.is_err(), "a hung request gets no answer: {result:?}");
}

#[tokio::test]
async fn a_bad_scenario_is_refused_with_its_line_and_column() {
    let err = sca_sandbox::Sandbox::builder()
        .scenario_yaml(
            "name: x\nrules:\n  - when: { operation: shine.action_request.poll }\n    faul: drop\n",
        )
        .build()
        .unwrap_err();
    let sca_sandbox::Error::Scenario(err) = err else {
        panic!("{err}")
    };
    assert_eq!((err.line, err.column), (4, 5), "{err}");
    assert!(err.message.contains("faul"), "{err}");
}

#[tokio::test]
async fn loading_a_bad_scenario_through_the_control_api_changes_nothing() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    let bad = "name: broken\nrules:\n  - when: { operation: shine.nope.poll }\n    fault: drop\n";
    let answer = sandbox.load_scenario(bad).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["error"]["code"], "invalid_scenario");
    assert_eq!(answer.body["error"]["line"], 3);
    assert!(answer.body["error"]["location"]
        .as_str()
        .unwrap()
        .starts_with("<request body>:3:"));
    assert_eq!(
        sandbox.get("/__admin/scenarios").await.body["active"]["name"],
        "default"
    );
    assert_eq!(
        sandbox.shine_poll(&id).await.status,
        StatusCode::OK,
        "state kept"
    );

    let good = format!(
        "{}name: replaced\n",
        crate::support::default_without_users_and_rules().replace("name: default\n", "")
    );
    let answer = sandbox.load_scenario(good).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["active"]["name"], "replaced");
    assert_eq!(
        sandbox.shine_poll(&id).await.status,
        StatusCode::NOT_FOUND,
        "a new world"
    );
}

#[tokio::test]
async fn a_seeded_scenario_gives_the_same_ids_every_run() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let sandbox = TestSandbox::with("seed: 42\nrules: []\n").await;
        ids.push(sandbox.shine_create_id().await);
    }
    assert_eq!(ids[0], ids[1]);
}

#[test]
fn a_misspelt_operation_names_the_ones_meant_at_its_position() {
    let yaml =
        "rules:\n  - when: { operation: weavr.multi_stepup.verfy }\n    respond: { status: 503 }\n";
    let err = sca_sandbox::Scenario::parse("typo.yaml", yaml).unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert!(
        err.message
            .contains("did you mean `weavr.multi_stepup.verify`"),
        "{err}"
    );
}
