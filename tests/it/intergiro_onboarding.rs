//! Intergiro's onboarding, as its guide gives it: an individual is created;
//! onboarding needs the user's consent (KYC is one of the SCA guide's
//! consented actions), then answers a form link; the user sends the form and
//! Intergiro's review activates or blocks. Also the portal's optional fields,
//! which are left out and never `null`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::TestSandbox;

impl TestSandbox {
    /// The consent of a 412 approved on its page, as the user would.
    pub(crate) async fn approve_on_page(&self, token: &str, consent: &Value) {
        let id = consent["consent"]["id"].as_str().unwrap();
        let method = self
            .intergiro(Method::POST, &format!("/v3/consents/{id}"), token, None)
            .await;
        let page_token = method.body["method"]["token"].as_str().unwrap().to_owned();
        let approved = self
            .http
            .post(self.url("/intergiro/sca/consent"))
            .form(&[
                ("token", page_token.as_str()),
                ("decision", "approve"),
                ("passcode", "1234"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), StatusCode::OK);
    }

    /// The user sends the onboarding form behind `form_url`.
    pub(crate) async fn send_form(&self, form_url: &str) -> reqwest::Response {
        let form_token = form_url.split("token=").nth(1).unwrap();
        self.http
            .post(self.url("/intergiro/onboarding"))
            .form(&[("token", form_token)])
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn onboarding_asks_consent_then_hands_out_the_form_that_activates() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let fixture = sandbox
        .intergiro(Method::GET, "/v3/individuals/ind-1", &token, None)
        .await;
    assert_eq!(fixture.body["status"], "created", "{}", fixture.body);

    let onboard = || {
        sandbox.intergiro(
            Method::POST,
            "/v3/individuals/ind-1/onboard",
            &token,
            Some(json!({"return_url": "https://example.com/onboarded"})),
        )
    };
    let first = onboard().await;
    assert_eq!(
        first.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        first.body
    );
    assert_eq!(first.body["consent"]["scope"], json!(["onboarding"]));
    sandbox.approve_on_page(&token, &first.body).await;

    let link = onboard().await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    assert!(link.body["expires_at"].is_string());
    let form_url = link.body["redirect_url"].as_str().unwrap().to_owned();
    assert!(
        form_url.starts_with(&sandbox.url("/intergiro/onboarding?token=")),
        "{form_url}"
    );
    let requested = sandbox
        .intergiro(Method::GET, "/v3/individuals/ind-1", &token, None)
        .await;
    assert_eq!(requested.body["status"], "onboarding_requested");

    let form = sandbox.http.get(&form_url).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert!(
        html.contains("John de Mayor") && html.contains("send-details"),
        "{html}"
    );

    let sent = sandbox.send_form(&form_url).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        "https://example.com/onboarded?individual_id=ind-1&status=active"
    );
    let active = sandbox
        .intergiro(Method::GET, "/v3/individuals/ind-1", &token, None)
        .await;
    assert_eq!(active.body["status"], "active");

    // A link or a form without its token is malformed.
    let bare = sandbox
        .http
        .get(sandbox.url("/intergiro/onboarding"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::BAD_REQUEST);
    let empty = sandbox
        .http
        .post(sandbox.url("/intergiro/onboarding"))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);

    // The link is spent, and an onboarded individual is not onboarded again.
    let again = sandbox.http.get(&form_url).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    let over = onboard().await;
    assert_eq!(over.status, StatusCode::CONFLICT, "{}", over.body);
}

#[tokio::test]
async fn a_manual_review_is_left_to_the_control_api() {
    let yaml = sca_sandbox::DEFAULT_SCENARIO.replace(
        "    passcode: \"1234\"",
        "    passcode: \"1234\"\n    onboarding_review: manual",
    );
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let token = sandbox.intergiro_login().await;
    let created = sandbox
        .intergiro(Method::POST, "/v3/individuals", &token, Some(json!({
            "first_name": "Ana", "last_name": "Lind", "email": "ana@example.com",
            "phone_number": "+46701234567", "date_of_birth": "1990-01-31",
            "address": {"country_code": "SE", "street1": "Storgatan 1", "city": "Ekerö", "postal_code": "178 30"}})))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.body["status"], "created");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let onboard = format!("/v3/individuals/{id}/onboard");
    let first = sandbox
        .intergiro(Method::POST, &onboard, &token, None)
        .await;
    sandbox.approve_on_page(&token, &first.body).await;
    let link = sandbox
        .intergiro(Method::POST, &onboard, &token, None)
        .await;
    let form_url = link.body["redirect_url"].as_str().unwrap();
    let sent = sandbox.send_form(form_url).await;
    assert_eq!(sent.status(), StatusCode::OK, "no return_url: a page");
    let waiting = sandbox
        .intergiro(Method::GET, &format!("/v3/individuals/{id}"), &token, None)
        .await;
    assert_eq!(waiting.body["status"], "onboarding_data_provided");
    let blocked = sandbox
        .post(
            &format!("/__admin/intergiro/individuals/{id}/block"),
            Value::Null,
        )
        .await;
    assert_eq!(blocked.status, StatusCode::OK, "{}", blocked.body);
    assert_eq!(blocked.body["status"], "blocked");
    let twice = sandbox
        .post(
            &format!("/__admin/intergiro/individuals/{id}/activate"),
            Value::Null,
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    let unknown = sandbox
        .post(
            "/__admin/intergiro/individuals/nobody/activate",
            Value::Null,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn individuals_are_checked_field_by_field() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let good = json!({"first_name": "Ana", "last_name": "Lind", "email": "ana@example.com",
        "phone_number": "46701234567", "date_of_birth": "1990-01-31"});
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    for (body, property) in [
        (with("email", json!("not-an-email")), "email"),
        (with("phone_number", json!("12")), "phone_number"),
        (with("date_of_birth", json!("31/01/1990")), "date_of_birth"),
        (with("first_name", json!("")), "first_name"),
        (with("address", Value::Null), "address"),
        (
            with(
                "address",
                json!({"country_code": "se", "street1": "x", "city": "y", "postal_code": "1"}),
            ),
            "address.country_code",
        ),
        (
            with(
                "address",
                json!({"country_code": "SE", "city": "y", "postal_code": "1"}),
            ),
            "address.street1",
        ),
    ] {
        let refused = sandbox
            .intergiro(Method::POST, "/v3/individuals", &token, Some(body.clone()))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            refused.body
        );
        assert_eq!(
            refused.body["errors"][0]["property"], property,
            "{body}: {}",
            refused.body
        );
    }
    let unknown = sandbox
        .intergiro(Method::POST, "/v3/individuals/nobody/onboard", &token, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn optional_fields_are_left_out_never_null() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let pay =
        |body: Value| sandbox.intergiro(Method::POST, "/v3/transactions/pay", &token, Some(body));
    let base = json!({"request_id": "nulls-1", "account_id": "acc-1", "amount": 100,
        "counterparty": {"name": "Jane Doe", "account": {"iban": "DE89370400440532013000"}}});
    let mut null_reference = base.clone();
    null_reference["reference"] = Value::Null;
    let mut null_bic = base.clone();
    null_bic["counterparty"]["account"]["bic"] = Value::Null;
    let mut bad_bic = base.clone();
    bad_bic["counterparty"]["account"]["bic"] = json!("NOTABIC");
    for (body, property) in [
        (null_reference, "reference"),
        (null_bic, "counterparty.account.bic"),
        (bad_bic, "counterparty.account.bic"),
    ] {
        let refused = pay(body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(
            refused.body["errors"][0]["property"], property,
            "{}",
            refused.body
        );
    }
    // Left out, both are fine: the payment asks for consent.
    let held = pay(base).await;
    assert_eq!(
        held.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        held.body
    );
    let consent = held.body["consent"]["id"].as_str().unwrap();
    let null_return = sandbox
        .intergiro(
            Method::POST,
            &format!("/v3/consents/{consent}"),
            &token,
            Some(json!({"return_url": null})),
        )
        .await;
    assert_eq!(
        null_return.status,
        StatusCode::BAD_REQUEST,
        "{}",
        null_return.body
    );
    assert_eq!(null_return.body["errors"][0]["property"], "return_url");
}

#[tokio::test]
async fn moves_between_own_accounts_need_no_consent_and_run_once() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let body = json!({"request_id": "move-1", "source_account_id": "acc-1",
        "target_account_id": "acc-2", "amount": 12000, "reference": "Move funds"});
    let do_move =
        |body: Value| sandbox.intergiro(Method::POST, "/v3/transactions/move", &token, Some(body));
    let moved = do_move(body.clone()).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["type"], "bank-transfer");
    assert_eq!(moved.body["status"], "pending");
    assert_eq!(moved.body["account_id"], "acc-1");
    assert_eq!(moved.body["counterparty"]["account_id"], "acc-2");
    assert_eq!(
        moved.body["counterparty"]["account_details"],
        json!({"type": "sepa", "iban": "SE1850000000058398257467"})
    );
    let again = do_move(body.clone()).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let mut to_itself = body.clone();
    to_itself["request_id"] = json!("move-2");
    to_itself["target_account_id"] = json!("acc-1");
    let mut unknown = body;
    unknown["request_id"] = json!("move-3");
    unknown["source_account_id"] = json!("acc-9");
    for (body, status, property) in [
        (to_itself, StatusCode::BAD_REQUEST, "target_account_id"),
        (unknown, StatusCode::NOT_FOUND, "source_account_id"),
    ] {
        let refused = do_move(body).await;
        assert_eq!(refused.status, status, "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["property"], property);
    }
}

#[tokio::test]
async fn bank_details_fund_an_account_with_an_iban() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let details = sandbox
        .intergiro(Method::GET, "/v3/accounts/acc-2/bank_details", &token, None)
        .await;
    assert_eq!(details.status, StatusCode::OK, "{}", details.body);
    let sepa = &details.body[0];
    assert_eq!(sepa["payment_rail"], "sepa");
    assert_eq!(sepa["details"]["iban"], "SE1850000000058398257467");
    assert_eq!(sepa["details"]["bic"], "FTCSSESSXXX");
    assert!(sepa["beneficiary"].is_string());
    assert_eq!(sepa["beneficiary_address"]["country_code"], "SE");
    let unknown = sandbox
        .intergiro(Method::GET, "/v3/accounts/acc-9/bank_details", &token, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let signed_out = sandbox
        .intergiro(Method::GET, "/v3/accounts/acc-2/bank_details", "nope", None)
        .await;
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_card_freezes_and_unfreezes_and_a_lost_one_stays_lost() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let patch = |status: Value| {
        sandbox.intergiro(
            Method::PATCH,
            "/v3/cards/card-1",
            &token,
            Some(json!({"status": status})),
        )
    };
    // card-1 is not activated yet: it cannot be frozen, but it can be lost.
    let early = patch(json!("frozen")).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    let first = sandbox
        .intergiro(Method::POST, "/v3/cards/card-1/activate", &token, None)
        .await;
    sandbox.approve_on_page(&token, &first.body).await;
    let active = sandbox
        .intergiro(Method::POST, "/v3/cards/card-1/activate", &token, None)
        .await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);
    for status in ["frozen", "active", "frozen", "lost"] {
        let answer = patch(json!(status)).await;
        assert_eq!(answer.status, StatusCode::OK, "{status}: {}", answer.body);
        assert_eq!(answer.body["status"], status);
        assert_eq!(answer.body["account_id"], "acc-1");
    }
    let after = patch(json!("active")).await;
    assert_eq!(after.status, StatusCode::CONFLICT, "{}", after.body);
    let bad = patch(json!("melted")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"][0]["property"], "status");
    let unknown = sandbox
        .intergiro(
            Method::PATCH,
            "/v3/cards/card-9",
            &token,
            Some(json!({"status": "frozen"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_approved_payment_method_consent_saves_the_card() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let path = "/v3/individuals/ind-1/payment_methods";
    let empty = sandbox.intergiro(Method::GET, path, &token, None).await;
    assert_eq!(
        empty.body,
        json!({"data": [], "has_more": false}),
        "{}",
        empty.body
    );
    let body = json!({"type": "card", "charge": {"amount": 1000, "currency": "EUR", "account_id": "acc-1"}});
    let created = sandbox
        .intergiro(Method::POST, path, &token, Some(body))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.body["consent"]["status"], "pending");
    // Not saved while pending.
    let pending = sandbox.intergiro(Method::GET, path, &token, None).await;
    assert_eq!(pending.body["data"], json!([]));
    sandbox.approve_on_page(&token, &created.body).await;
    let saved = sandbox.intergiro(Method::GET, path, &token, None).await;
    assert_eq!(
        saved.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        saved.body
    );
    assert_eq!(saved.body["data"][0]["type"], "card");
    assert_eq!(saved.body["data"][0]["details"]["last4"], "1115");
    let again = sandbox.intergiro(Method::GET, path, &token, None).await;
    assert_eq!(again.body, saved.body, "saved once");

    for (body, property) in [
        (json!({"type": "iban"}), "type"),
        (json!({"type": "card", "charge": null}), "charge"),
        (
            json!({"type": "card", "charge": {"amount": 1, "currency": "EUR", "account_id": "acc-9"}}),
            "charge.account_id",
        ),
    ] {
        let refused = sandbox
            .intergiro(Method::POST, path, &token, Some(body))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["property"], property);
    }
    let nobody = sandbox
        .intergiro(
            Method::GET,
            "/v3/individuals/nobody/payment_methods",
            &token,
            None,
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn apple_pay_tokenisation_asks_consent_for_an_active_card() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.intergiro_login().await;
    let tokenize = "/v3/cards/card-1/apple_pay/tokenize";
    let inactive = sandbox
        .intergiro(Method::POST, tokenize, &token, None)
        .await;
    assert_eq!(inactive.status, StatusCode::CONFLICT, "{}", inactive.body);
    let first = sandbox
        .intergiro(Method::POST, "/v3/cards/card-1/activate", &token, None)
        .await;
    sandbox.approve_on_page(&token, &first.body).await;
    sandbox
        .intergiro(Method::POST, "/v3/cards/card-1/activate", &token, None)
        .await;

    let asked = sandbox
        .intergiro(Method::POST, tokenize, &token, None)
        .await;
    assert_eq!(
        asked.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        asked.body
    );
    assert_eq!(asked.body["consent"]["scope"], json!(["apple_pay"]));
    let consent = asked.body["consent"]["id"].as_str().unwrap();
    let method = sandbox
        .intergiro(
            Method::POST,
            &format!("/v3/consents/{consent}"),
            &token,
            None,
        )
        .await;
    assert!(
        method.body["method"]["token"].is_string(),
        "the SDK's token"
    );
    sandbox.approve_on_page(&token, &asked.body).await;
    let done = sandbox
        .intergiro(Method::POST, tokenize, &token, None)
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body, json!({"status": "approved"}));
}
