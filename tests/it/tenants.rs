//! Tenants: a header or a path prefix gives a test its own state, clock,
//! outbox, journal and scenario on a shared sandbox.

use chrono::DateTime;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{transfer_body, TestSandbox};

fn scenario_for(i: usize) -> String {
    // Conflicting settings: every tenant gives action requests its own lifetime.
    sca_sandbox::DEFAULT_SCENARIO
        .replace(
            "action_request_ttl: 3m",
            &format!("action_request_ttl: {}m", i + 1),
        )
        .replace("name: default", &format!("name: tenant-{i}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_tenants_in_parallel_see_only_their_own_world() {
    let sandbox = TestSandbox::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (http, root) = (sandbox.http.clone(), sandbox.url(""));
        tasks.spawn(async move {
            let name = format!("team-{i}");
            let put = http
                .put(format!("{root}/__admin/tenants/{name}/scenario"))
                .body(scenario_for(i))
                .send()
                .await
                .unwrap();
            assert_eq!(put.status(), StatusCode::OK);
            let clock: Value = http
                .post(format!("{root}/t/{name}/__admin/clock"))
                .json(&json!({"frozen": true, "set": "2030-01-01T00:00:00Z", "advance": format!("{i}m")}))
                .send().await.unwrap().json().await.unwrap();
            // The header and the path prefix reach the same tenant.
            let created: Value = http
                .post(format!("{root}/shine/v2/authentication/oauth2/action_request"))
                .header("x-sandbox-tenant", &name)
                .json(&json!({"action": "bank:transfers:create", "client_id": "shine-client", "client_secret": "shine-secret",
                    "uid": "user-1", "payload": transfer_body()}))
                .send().await.unwrap().json().await.unwrap();
            let sms: Value = http
                .post(format!("{root}/t/{name}/__admin/sms"))
                .json(&json!({"to": format!("+{i}"), "text": format!("for {name}")}))
                .send().await.unwrap().json().await.unwrap();
            assert_eq!(sms["seq"], 1, "{name}'s outbox starts empty");
            (i, name, created, clock)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (i, name, created, clock) = joined.unwrap();
        let data = &created["data"];
        let lifetime = DateTime::parse_from_rfc3339(data["expiresAt"].as_str().unwrap()).unwrap()
            - DateTime::parse_from_rfc3339(data["createdAt"].as_str().unwrap()).unwrap();
        assert_eq!(
            lifetime.num_minutes(),
            i as i64 + 1,
            "{name} runs its own scenario"
        );
        assert_eq!(
            clock["now"],
            format!("2030-01-01T00:{i:02}:00.000Z"),
            "{name} has its own clock"
        );
        assert_eq!(
            data["createdAt"],
            format!("2030-01-01T00:{i:02}:00.000000000Z")
        );
        let base = format!("/t/{name}/__admin");
        let requests = sandbox
            .get(&format!("{base}/shine/action_requests"))
            .await
            .body;
        assert_eq!(requests.as_array().unwrap().len(), 1, "{name}");
        assert_eq!(
            requests[0]["authenticationActionRequestId"],
            data["authenticationActionRequestId"]
        );
        let sms = sandbox.get(&format!("{base}/sms")).await.body;
        assert_eq!(sms.as_array().unwrap().len(), 1);
        assert_eq!(sms[0]["text"], format!("for {name}"));
        let events = sandbox
            .get(&format!("{base}/events?type=action_request.created"))
            .await
            .body;
        assert_eq!(
            events.as_array().unwrap().len(),
            1,
            "{name} sees only its own events"
        );
        let journal = sandbox
            .get(&format!("{base}/journal?provider=shine"))
            .await
            .body;
        assert_eq!(journal.as_array().unwrap().len(), 1);
        assert_eq!(
            sandbox.get(&format!("{base}/scenarios")).await.body["active"]["name"],
            format!("tenant-{i}")
        );
    }
    // The default tenant saw none of it.
    assert_eq!(
        sandbox.get("/__admin/shine/action_requests").await.body,
        json!([])
    );
    assert_eq!(sandbox.get("/__admin/sms").await.body, json!([]));
    assert_eq!(sandbox.get("/__admin/stats").await.body["tenants"], 16);
}

#[tokio::test]
async fn tenant_names_are_checked_and_reset_drops_tenants() {
    let sandbox = TestSandbox::start().await;
    let bad = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/health"))
                .header("x-sandbox-tenant", "no spaces!"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "invalid_tenant");
    let too_long = sandbox
        .get(&format!("/t/{}/__admin/health", "x".repeat(65)))
        .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);

    sandbox
        .post("/t/alpha/__admin/sms", json!({"to": "+1", "text": "x"}))
        .await;
    assert_eq!(
        sandbox
            .get("/t/alpha/__admin/sms")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A named tenant's reset clears only that tenant.
    sandbox
        .post("/t/beta/__admin/sms", json!({"to": "+1", "text": "y"}))
        .await;
    sandbox.post("/t/alpha/__admin/reset", Value::Null).await;
    assert_eq!(sandbox.get("/t/alpha/__admin/sms").await.body, json!([]));
    assert_eq!(
        sandbox
            .get("/t/beta/__admin/sms")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The default reset drops every tenant.
    sandbox.post("/__admin/reset", Value::Null).await;
    assert_eq!(sandbox.get("/__admin/stats").await.body["tenants"], 0);
    assert_eq!(sandbox.get("/t/beta/__admin/sms").await.body, json!([]));
}

#[tokio::test]
async fn a_tenants_consent_page_stays_in_the_tenant() {
    let sandbox = TestSandbox::start().await;
    let login = sandbox
        .post(
            "/t/shop/intergiro/v3/auth/login",
            json!({"api_key": "intergiro-sandbox-key"}),
        )
        .await;
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    let pay = |path: String| {
        sandbox.send(
            sandbox
                .http
                .post(sandbox.url(&path))
                .bearer_auth(&token)
                .json(&json!({
                "request_id": "t1", "account_id": "acc-1", "amount": 100, "reference": "r",
                "counterparty": {"name": "Acme", "account": {"iban": "DE89370400440532013000"}}})),
        )
    };
    let asked = pay("/t/shop/intergiro/v3/transactions/pay".to_owned()).await;
    let id = asked.body["consent"]["id"].as_str().unwrap().to_owned();
    let method = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url(&format!("/t/shop/intergiro/v3/consents/{id}")))
                .bearer_auth(&token)
                .json(&json!({})),
        )
        .await;
    let redirect = method.body["method"]["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        redirect.contains("/t/shop/intergiro/sca/consent?token="),
        "{redirect}"
    );
    let page = sandbox
        .http
        .get(&redirect)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/t/shop/intergiro/sca/consent\""));
    // The default tenant knows neither the session nor the consent.
    assert_eq!(
        pay("/intergiro/v3/transactions/pay".to_owned())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
