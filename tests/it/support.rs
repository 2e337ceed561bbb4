//! A sandbox per test, and a small JSON client for it.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use sca_sandbox::{RunningSandbox, Sandbox};
use serde_json::{json, Value};

pub(crate) const SHINE_CLIENT: (&str, &str) = ("shine-client", "shine-secret");
pub(crate) const SHINE_TOKEN: &str = "shine-user-1-token";

/// A running sandbox with a frozen clock and a client pointed at it.
pub(crate) struct TestSandbox {
    pub(crate) server: RunningSandbox,
    pub(crate) http: reqwest::Client,
}

/// A decoded answer: status, headers and JSON body (`Null` when empty).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl TestSandbox {
    /// The embedded default scenario.
    pub(crate) async fn start() -> Self {
        Self::from(Sandbox::builder()).await
    }

    /// The default fixtures plus `extra` YAML top-level keys (rules, users, ...).
    pub(crate) async fn with(extra: &str) -> Self {
        let yaml = format!("{}\n{extra}", default_without_users_and_rules());
        Self::from(Sandbox::builder().scenario_yaml(yaml)).await
    }

    pub(crate) async fn from(builder: sca_sandbox::SandboxBuilder) -> Self {
        let server = builder.start().await.expect("sandbox starts");
        server.clock().set_frozen(true);
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { server, http }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// `POST /__admin/scenarios` with a YAML body: loads it, or refuses it.
    pub(crate) async fn load_scenario(&self, yaml: impl Into<String>) -> Answer {
        let yaml: String = yaml.into();
        self.send(self.http.post(self.url("/__admin/scenarios")).body(yaml))
            .await
    }

    pub(crate) async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let res = req.send().await.expect("request is answered");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body is read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(self.url(path))).await
    }

    /// The body of a GET as text (a PEM, a page).
    pub(crate) async fn get_text(&self, path: &str) -> String {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.text().await.unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    pub(crate) async fn request(&self, method: Method, path: &str) -> Answer {
        self.send(self.http.request(method, self.url(path))).await
    }

    /// Moves the sandbox clock through the control API.
    pub(crate) async fn advance(&self, by: &str) {
        let answer = self.post("/__admin/clock", json!({ "advance": by })).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    }

    // Shine helpers.

    pub(crate) async fn shine_create(&self) -> Answer {
        self.post(
            "/shine/v2/authentication/oauth2/action_request",
            json!({
                "action": "bank:transfers:create",
                "client_id": SHINE_CLIENT.0,
                "client_secret": SHINE_CLIENT.1,
                "uid": "user-1",
                "payload": transfer_body(),
            }),
        )
        .await
    }

    /// Creates an action request and returns its id.
    pub(crate) async fn shine_create_id(&self) -> String {
        let answer = self.shine_create().await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body["data"]["authenticationActionRequestId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn shine_poll(&self, id: &str) -> Answer {
        self.get(&format!(
            "/shine/v2/authentication/oauth2/action_request/{id}/poll?client_id={}&client_secret={}",
            SHINE_CLIENT.0, SHINE_CLIENT.1
        ))
        .await
    }

    /// Creates, confirms through the control API, and returns the token.
    pub(crate) async fn shine_token(&self) -> String {
        let id = self.shine_create_id().await;
        let confirmed = self
            .post(
                &format!("/__admin/shine/action_requests/{id}/confirm"),
                Value::Null,
            )
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
        let polled = self.shine_poll(&id).await;
        polled.body["data"]["token"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn shine_transfer(&self, token: &str, body: Value) -> Answer {
        self.send(
            self.http
                .post(self.url("/shine/v3/bank/transfers"))
                .bearer_auth(SHINE_TOKEN)
                .header("short-lived-token", token)
                .json(&body),
        )
        .await
    }
}

/// The payload the Shine helpers confirm.
pub(crate) fn transfer_body() -> Value {
    json!({ "amount": 234, "bankTransferRecipientId": "recipient-1", "uid": "user-1" })
}

/// The embedded scenario without its `users` and `rules`, so tests can add their own.
pub(crate) fn default_without_users_and_rules() -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in sca_sandbox::DEFAULT_SCENARIO.lines() {
        if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
            skipping = line.starts_with("users:") || line.starts_with("rules:");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
