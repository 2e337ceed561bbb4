//! Intergiro: session auth, 412 consents, the hosted page and the redirect back.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Answer, TestSandbox};

impl TestSandbox {
    pub(crate) async fn intergiro_login(&self) -> String {
        let answer = self
            .post(
                "/intergiro/v3/auth/login",
                json!({"api_key": "intergiro-sandbox-key"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn intergiro(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.url(&format!("/intergiro{path}")))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    pub(crate) async fn pay_iban(&self, token: &str, request_id: &str, payee: &str) -> Answer {
        self.intergiro(
            Method::POST,
            "/v3/transactions/pay",
            token,
            Some(json!({"request_id": request_id, "account_id": "acc-1", "amount": 12345, "reference": "Invoice <b>42</b>",
                "counterparty": {"name": payee, "account": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}}})),
        )
        .await
    }

    /// Starts a payment and initiates its consent; returns (consent id, page token).
    pub(crate) async fn consent_page(
        &self,
        token: &str,
        request_id: &str,
        payee: &str,
    ) -> (String, String) {
        let answer = self.pay_iban(token, request_id, payee).await;
        assert_eq!(
            answer.status,
            StatusCode::PRECONDITION_FAILED,
            "{:?}",
            answer.body
        );
        let id = answer.body["consent"]["id"].as_str().unwrap().to_owned();
        let method = self
            .intergiro(
                Method::POST,
                &format!("/v3/consents/{id}"),
                token,
                Some(json!({"return_url": "http://127.0.0.1:9/done?from=shop"})),
            )
            .await;
        assert_eq!(method.status, StatusCode::OK, "{:?}", method.body);
        (
            id,
            method.body["method"]["token"].as_str().unwrap().to_owned(),
        )
    }

    async fn submit(&self, token: &str, decision: &str, passcode: &str) -> reqwest::Response {
        self.http
            .post(self.url("/intergiro/sca/consent"))
            .form(&[
                ("token", token),
                ("decision", decision),
                ("passcode", passcode),
            ])
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn login_refresh_and_expired_sessions() {
    let sandbox = TestSandbox::start().await;
    let login = sandbox
        .post(
            "/intergiro/v3/auth/login",
            json!({"api_key": "intergiro-sandbox-key"}),
        )
        .await;
    let (access, refresh) = (
        login.body["access_token"].as_str().unwrap().to_owned(),
        login.body["refresh_token"].as_str().unwrap().to_owned(),
    );
    let wrong = sandbox
        .post("/intergiro/v3/auth/login", json!({"api_key": "nope"}))
        .await;
    assert_eq!(
        (wrong.status, wrong.body["type"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let early = sandbox
        .post(
            "/intergiro/v3/auth/refresh",
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(
        early.status,
        StatusCode::BAD_REQUEST,
        "refreshing before expiry is an error"
    );
    assert_eq!(
        sandbox
            .intergiro(Method::GET, "/v3/consents/x", &access, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    sandbox.advance("15m").await;
    assert_eq!(
        sandbox
            .intergiro(Method::GET, "/v3/consents/x", &access, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let renewed = sandbox
        .post(
            "/intergiro/v3/auth/refresh",
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK);
    let again = sandbox
        .post(
            "/intergiro/v3/auth/refresh",
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "the old refresh token is spent"
    );
    let fresh = renewed.body["access_token"].as_str().unwrap();
    assert_eq!(
        sandbox
            .intergiro(Method::GET, "/v3/consents/x", fresh, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_internal_payment_needs_no_consent_and_an_iban_payment_does() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let internal = sandbox
        .intergiro(
            Method::POST,
            "/v3/transactions/pay",
            &token,
            Some(json!({"request_id": "r0", "account_id": "acc-1", "amount": 100, "reference": "x", "counterparty": {"name": "Me", "account_id": "acc-2"}})),
        )
        .await;
    assert_eq!(internal.status, StatusCode::OK);
    assert_eq!(internal.body["type"], "bank-transfer");
    // The payee's Intergiro account, with its bank details.
    assert_eq!(
        internal.body["counterparty"],
        json!({"name": "Me", "account_id": "acc-2", "account_details": {"type": "sepa", "iban": "SE1850000000058398257467"}})
    );
    let external = sandbox.pay_iban(&token, "r1", "Acme").await;
    assert_eq!(external.status, StatusCode::PRECONDITION_FAILED);
    let consent = &external.body["consent"];
    assert_eq!(consent["status"], "pending");
    assert_eq!(consent["scope"], json!(["make_payment"]));
    assert!(consent["expires_at"].as_str().unwrap().ends_with('Z'));
    let bad = sandbox
        .intergiro(Method::POST, "/v3/transactions/pay", &token, Some(json!({"request_id": "r2", "account_id": "acc-1", "amount": -5, "counterparty": {"name": "x"}})))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"][0]["property"], "amount");
    let number = sandbox
        .intergiro(Method::POST, "/v3/transactions/pay", &token, Some(json!({"request_id": "r4", "account_id": "acc-1", "amount": 5, "reference": 42, "counterparty": {"name": "Me", "account_id": "acc-2"}})))
        .await;
    assert_eq!(number.status, StatusCode::BAD_REQUEST);
    assert_eq!(number.body["errors"][0]["property"], "reference");
    let unauthenticated = sandbox.pay_iban("nope", "r3", "Acme").await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn card_and_history_actions_ask_for_consent() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    for (method, path, scope) in [
        (
            Method::GET,
            "/v3/cards/card-1/credentials",
            "view_card_credentials",
        ),
        (Method::POST, "/v3/cards/card-1/activate", "activate_card"),
        (
            Method::GET,
            "/v3/accounts/acc-1/transactions",
            "view_transactions",
        ),
    ] {
        let first = sandbox.intergiro(method.clone(), path, &token, None).await;
        assert_eq!(first.status, StatusCode::PRECONDITION_FAILED, "{path}");
        assert_eq!(first.body["consent"]["scope"][0], scope);
        let id = first.body["consent"]["id"].as_str().unwrap();
        let approved = sandbox
            .post(
                &format!("/__admin/intergiro/consents/{id}/approve"),
                Value::Null,
            )
            .await;
        assert_eq!(approved.body["status"], "approved");
        let done = sandbox.intergiro(method.clone(), path, &token, None).await;
        assert_eq!(done.status, StatusCode::OK, "{path}: {:?}", done.body);
    }
    let credentials = sandbox
        .intergiro(Method::GET, "/v3/cards/card-1/credentials", &token, None)
        .await;
    assert_eq!(
        credentials.status,
        StatusCode::PRECONDITION_FAILED,
        "each view needs a new consent"
    );
    let active = sandbox
        .intergiro(Method::POST, "/v3/cards/card-1/activate", &token, None)
        .await;
    assert_eq!(active.status, StatusCode::CONFLICT);
    let missing = sandbox
        .intergiro(Method::GET, "/v3/cards/card-9/credentials", &token, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_shows_the_payment_and_approves_with_the_passcode() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let (id, page_token) = sandbox
        .consent_page(&token, "r1", "<script>alert(1)</script>")
        .await;
    let page = sandbox
        .http
        .get(sandbox.url(&format!("/intergiro/sca/consent?token={page_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.headers().contains_key("content-security-policy"));
    let html = page.text().await.unwrap();
    assert!(html.contains("123.45 EUR"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the payee shows as text"
    );
    assert!(
        !html.contains("<script>"),
        "no markup from the payee or reference"
    );
    assert!(html.contains("Invoice &lt;b&gt;42&lt;/b&gt;"));
    for testid in [
        "consent-page",
        "consent-amount",
        "consent-payee",
        "passcode",
        "approve",
        "decline",
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{testid}\"")),
            "{testid}"
        );
    }

    let wrong = sandbox.submit(&page_token, "approve", "0000").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"passcode-error\""));
    let approved = sandbox.submit(&page_token, "approve", "1234").await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let location = approved.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("http://127.0.0.1:9/done?from=shop&consent_id={id}&status=approved")
    );

    let used = sandbox
        .http
        .get(sandbox.url(&format!("/intergiro/sca/consent?token={page_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        used.status(),
        StatusCode::GONE,
        "a used token gets an error page, not a redirect"
    );
    assert!(used.headers().get("location").is_none());
    let consent = sandbox
        .intergiro(Method::GET, &format!("/v3/consents/{id}"), &token, None)
        .await;
    assert_eq!(consent.body["status"], "approved");

    // The repeated payment succeeds exactly once.
    let paid = sandbox
        .pay_iban(&token, "r1", "<script>alert(1)</script>")
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    assert_eq!(
        paid.body["counterparty"]["account_details"]["iban"],
        "DE89370400440532013000"
    );
    let twice = sandbox
        .pay_iban(&token, "r1", "<script>alert(1)</script>")
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let events = sandbox
        .get(&format!("/__admin/events?provider=intergiro&subject={id}"))
        .await
        .body;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["consent.created", "consent.initiated", "consent.approved"]
    );
}

#[tokio::test]
async fn a_declined_consent_makes_the_action_refuse() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let (id, page_token) = sandbox.consent_page(&token, "r1", "Acme").await;
    let declined = sandbox.submit(&page_token, "decline", "").await;
    assert_eq!(declined.status(), StatusCode::SEE_OTHER);
    assert!(declined.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with(&format!("consent_id={id}&status=declined")));
    let refused = sandbox.pay_iban(&token, "r1", "Acme").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["type"], "consent_declined");
    let late = sandbox
        .post(
            &format!("/__admin/intergiro/consents/{id}/approve"),
            Value::Null,
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(
        late.body["error"]["code"], "not_pending",
        "the control API's own envelope"
    );
    let unknown = sandbox
        .post("/__admin/intergiro/consents/nope/decline", Value::Null)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"]["code"], "not_found");
}

#[tokio::test]
async fn return_urls_must_be_http_or_https() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let id = sandbox.pay_iban(&token, "r1", "Acme").await.body["consent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for url in [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example",
        "ftp://x.example/",
        "http://x.example/\r\nSet-Cookie: a=b",
    ] {
        let answer = sandbox
            .intergiro(
                Method::POST,
                &format!("/v3/consents/{id}"),
                &token,
                Some(json!({"return_url": url})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(answer.body["errors"][0]["property"], "return_url");
    }
    let without = sandbox
        .intergiro(Method::POST, &format!("/v3/consents/{id}"), &token, None)
        .await;
    assert_eq!(
        without.status,
        StatusCode::OK,
        "return_url is optional (the SDKs ignore it)"
    );
    let page_token = without.body["method"]["token"].as_str().unwrap().to_owned();
    let done = sandbox.submit(&page_token, "approve", "1234").await;
    assert_eq!(
        done.status(),
        StatusCode::OK,
        "no return_url: a closing page, no redirect"
    );
    assert!(done.headers().get("location").is_none());
}

#[tokio::test]
async fn an_unanswered_consent_expires_and_its_page_with_it() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let (id, page_token) = sandbox.consent_page(&token, "r1", "Acme").await;
    sandbox.advance("15m").await;
    let page = sandbox
        .http
        .get(sandbox.url(&format!("/intergiro/sca/consent?token={page_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    let token = sandbox.intergiro_login().await;
    let consent = sandbox
        .intergiro(Method::GET, &format!("/v3/consents/{id}"), &token, None)
        .await;
    assert_eq!(consent.body["status"], "expired");
    let again = sandbox.pay_iban(&token, "r1", "Acme").await;
    assert_eq!(again.status, StatusCode::PRECONDITION_FAILED);
    assert_ne!(
        again.body["consent"]["id"], id,
        "an expired consent is replaced"
    );
    let junk = sandbox
        .http
        .get(sandbox.url("/intergiro/sca/consent?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(junk.status(), StatusCode::GONE);
}

#[tokio::test]
async fn the_simulated_user_approves_after_a_delay() {
    let sandbox = TestSandbox::with(
        "users:\n  intergiro:\n    consent: { decide: approve, after: 3s }\nrules: []\n",
    )
    .await;
    let token = sandbox.intergiro_login().await;
    let (id, _) = sandbox.consent_page(&token, "r1", "Acme").await;
    sandbox.advance("2s").await;
    assert_eq!(
        sandbox
            .intergiro(Method::GET, &format!("/v3/consents/{id}"), &token, None)
            .await
            .body["status"],
        "pending"
    );
    sandbox.advance("1s").await;
    let events = sandbox
        .get(&format!(
            "/__admin/events?type=consent.approved&subject={id}&wait=5s"
        ))
        .await
        .body;
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(
        sandbox.pay_iban(&token, "r1", "Acme").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn three_wrong_passcodes_burn_the_link_but_not_the_consent() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let (id, page_token) = sandbox.consent_page(&token, "r1", "Acme").await;
    for _ in 0..2 {
        assert_eq!(
            sandbox
                .submit(&page_token, "approve", "0000")
                .await
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let locked = sandbox.submit(&page_token, "approve", "0000").await;
    assert_eq!(locked.status(), StatusCode::FORBIDDEN);
    assert!(locked.text().await.unwrap().contains("Too many attempts"));
    assert_eq!(
        sandbox
            .submit(&page_token, "approve", "1234")
            .await
            .status(),
        StatusCode::GONE,
        "the link is gone"
    );
    let consent = sandbox
        .intergiro(Method::GET, &format!("/v3/consents/{id}"), &token, None)
        .await;
    assert_eq!(
        consent.body["status"], "pending",
        "the app can start it again"
    );
    let again = sandbox
        .intergiro(
            Method::POST,
            &format!("/v3/consents/{id}"),
            &token,
            Some(json!({})),
        )
        .await;
    let fresh = again.body["method"]["token"].as_str().unwrap().to_owned();
    assert_eq!(
        sandbox.submit(&fresh, "approve", "1234").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_page_checks_its_form_before_its_link() {
    let sandbox = TestSandbox::start().await;
    let res = sandbox
        .http
        .post(sandbox.url("/intergiro/sca/consent"))
        .form(&[("token", "no-such-link"), ("decision", "maybe")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = sandbox
        .http
        .post(sandbox.url("/intergiro/sca/consent"))
        .form(&[("token", "no-such-link"), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::GONE);
}
