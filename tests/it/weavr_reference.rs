//! Weavr against the facts of its published descriptions (Payment Run v1,
//! Multi v3, Simulator v2): every operation the sandbox serves, success and
//! error paths, checked for status, required fields, types and enums. The
//! facts are written here; nothing of the descriptions is copied. Multi's
//! transactions and their challenges are in `weavr_transactions`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Answer, TestSandbox};
use crate::weavr::payment_run;

const PR: &str = "/payment-run/v1";
pub(crate) const BUYER: &str = "buyer@example.com";
const NEWCOMER: &str = "new@example.com";
pub(crate) const SEND_PROFILE: &str = "110747174434375100";
pub(crate) const OWT_PROFILE: &str = "110747174434375200";

/// A JSON type, for the shape checks.
#[derive(Clone, Copy, Debug)]
pub(crate) enum T {
    Str,
    Int,
    Bool,
    Obj,
    Arr,
}

/// Asserts that each `(field, type)` is present with that type.
pub(crate) fn shape(v: &Value, fields: &[(&str, T)]) {
    for (name, t) in fields {
        let f = v.pointer(&format!("/{}", name.replace('.', "/")));
        let ok = match (t, f) {
            (T::Str, Some(Value::String(_))) => true,
            (T::Int, Some(Value::Number(n))) => n.is_i64(),
            (T::Bool, Some(Value::Bool(_))) => true,
            (T::Obj, Some(Value::Object(_))) => true,
            (T::Arr, Some(Value::Array(_))) => true,
            _ => false,
        };
        assert!(ok, "{name} should be {t:?} in {v}");
    }
}

pub(crate) fn one_of(v: &Value, enumeration: &[&str]) {
    let s = v.as_str().unwrap_or_default();
    assert!(enumeration.contains(&s), "{v} not in {enumeration:?}");
}

pub(crate) fn numeric(v: &Value) {
    let s = v.as_str().unwrap_or_default();
    assert!(
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
        "{v}"
    );
}

pub(crate) fn code(a: &Answer) -> &str {
    a.body["errorCode"].as_str().unwrap_or_default()
}

impl TestSandbox {
    pub(crate) async fn weavr_call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.url(&format!("/weavr{path}")))
            .header("api-key", "weavr-sandbox-key")
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    pub(crate) async fn stepped_up(&self, prefix: &str, email: &str) -> String {
        let token = self.weavr_login(prefix, email).await;
        let code = self.weavr_issue(prefix, &token).await;
        let verified = self.weavr_verify(prefix, &token, &code).await;
        assert_eq!(verified.status, StatusCode::NO_CONTENT);
        token
    }

    /// Posts `{verificationCode: code}` to `path`.
    pub(crate) async fn weavr_code(&self, path: &str, token: &str, code: &str) -> Answer {
        self.weavr(path, Some(token), Some(json!({ "verificationCode": code })))
            .await
    }

    pub(crate) async fn send_money(&self, token: &str, amount: i64) -> Answer {
        let body = json!({
            "profileId": SEND_PROFILE,
            "source": { "type": "managed_accounts", "id": "110747174434373800" },
            "destination": { "type": "managed_accounts", "id": "110747174434373801" },
            "destinationAmount": { "currency": "EUR", "amount": amount },
        });
        self.weavr_call(Method::POST, "/multi/sends", token, Some(body))
            .await
    }

    /// A new send with a push challenge on the user's phone: the send's id
    /// and the pending push as the control API lists it.
    pub(crate) async fn pushed_send(&self, token: &str, amount: i64) -> (String, Value) {
        let send = self.send_money(token, amount).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let pushed = self
            .weavr_call(
                Method::POST,
                &format!("/multi/sends/{send}/challenges/push/BIOMETRIC"),
                token,
                None,
            )
            .await;
        assert_eq!(pushed.status, StatusCode::NO_CONTENT);
        let pending = self.get("/__admin/weavr/push_challenges").await.body;
        (send, pending[0].clone())
    }

    pub(crate) async fn wire(&self, token: &str) -> Answer {
        let body = json!({
            "profileId": OWT_PROFILE,
            "sourceInstrument": { "type": "managed_accounts", "id": "110747174434373800" },
            "transferAmount": { "currency": "EUR", "amount": 2500 },
            "destinationBeneficiary": { "name": "Acme SARL", "iban": "FR7630006000011234567890189" },
        });
        self.weavr_call(
            Method::POST,
            "/multi/outgoing_wire_transfers",
            token,
            Some(body),
        )
        .await
    }
}

#[tokio::test]
async fn payment_run_answers_have_the_description_fields() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login(PR, BUYER).await;
    let created = sandbox
        .weavr(
            &format!("{PR}/payment_runs"),
            Some(&token),
            Some(payment_run()),
        )
        .await;
    // PaymentRun: id (24 hex), status (create: QUEUED only), payments[].{id,
    // status}, createdAt, buyerId and createdBy (numeric).
    shape(
        &created.body,
        &[
            ("id", T::Str),
            ("status", T::Str),
            ("payments", T::Arr),
            ("createdAt", T::Str),
            ("buyerId", T::Str),
            ("createdBy", T::Str),
        ],
    );
    assert_eq!(created.body["status"], "QUEUED");
    numeric(&created.body["buyerId"]);
    numeric(&created.body["createdBy"]);
    shape(
        &created.body["payments"][0],
        &[("id", T::Str), ("status", T::Str)],
    );

    // A second run, then the list with its paging fields.
    sandbox
        .weavr(
            &format!("{PR}/payment_runs"),
            Some(&token),
            Some(payment_run()),
        )
        .await;
    let page = sandbox
        .weavr_call(
            Method::GET,
            &format!("{PR}/payment_runs?limit=1&offset=1"),
            &token,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body["count"], 2);
    assert_eq!(page.body["responseCount"], 1);
    assert_ne!(
        page.body["paymentRuns"][0]["id"], created.body["id"],
        "oldest first"
    );
    let filtered = sandbox
        .weavr_call(
            Method::GET,
            &format!("{PR}/payment_runs?status=PENDING_FUNDING"),
            &token,
            None,
        )
        .await;
    assert_eq!(filtered.body["count"], 0);
    for bad in ["limit=0", "limit=101", "offset=-1", "status=DONE"] {
        let refused = sandbox
            .weavr_call(
                Method::GET,
                &format!("{PR}/payment_runs?{bad}"),
                &token,
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        shape(&refused.body, &[("syntaxErrors.invalidFields", T::Arr)]);
    }

    // Linked accounts: the consent carries expiresAt and expiresIn.
    let linked = sandbox
        .weavr_call(Method::GET, &format!("{PR}/linked_accounts"), &token, None)
        .await;
    let account = &linked.body["linkedAccounts"][0];
    shape(
        account,
        &[
            ("id", T::Str),
            ("accountIdentification", T::Obj),
            ("currency", T::Str),
            ("institution.countries", T::Arr),
            ("consent.expiresAt", T::Str),
            ("consent.expiresIn", T::Int),
            ("status", T::Str),
        ],
    );
    one_of(
        &account["consent"]["status"],
        &["ACTIVE", "EXPIRED", "REVOKED"],
    );
    one_of(
        &account["status"],
        &[
            "LINKED",
            "UNLINKED",
            "PENDING_CHALLENGE",
            "PENDING_FUNDING",
            "PENDING_VERIFICATION",
            "REJECTED",
        ],
    );
}

#[tokio::test]
async fn users_and_the_buyer_need_a_step_up_and_the_admin() {
    let sandbox = TestSandbox::start().await;
    let user = json!({ "name": "Sam", "surname": "Jones", "email": "sam@example.com",
        "mobile": { "countryCode": "+44", "number": "7700900999" }, "roles": ["CREATOR"] });
    let plain = sandbox.weavr_login(PR, BUYER).await;
    for (method, path, body) in [
        (Method::POST, "/users", Some(user.clone())),
        (
            Method::PATCH,
            "/buyers",
            Some(json!({ "supportedCurrencies": ["GBP", "EUR"] })),
        ),
    ] {
        let gated = sandbox
            .weavr_call(method, &format!("{PR}{path}"), &plain, body)
            .await;
        assert_eq!(gated.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(code(&gated), "STEP_UP_REQUIRED");
    }

    let token = sandbox.stepped_up(PR, BUYER).await;
    let created = sandbox
        .weavr_call(
            Method::POST,
            &format!("{PR}/users"),
            &token,
            Some(user.clone()),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    shape(
        &created.body,
        &[
            ("id", T::Str),
            ("buyerId", T::Str),
            ("name", T::Str),
            ("surname", T::Str),
            ("email", T::Str),
            ("active", T::Bool),
            ("roles", T::Arr),
            ("mobile.countryCode", T::Str),
        ],
    );
    let again = sandbox
        .weavr_call(Method::POST, &format!("{PR}/users"), &token, Some(user))
        .await;
    assert_eq!(
        (again.status, code(&again)),
        (StatusCode::CONFLICT, "EMAIL_NOT_UNIQUE")
    );
    let bad = sandbox
        .weavr_call(
            Method::POST,
            &format!("{PR}/users"),
            &token,
            Some(json!({ "name": "", "surname": "Jones", "email": "nope", "roles": ["ADMIN"] })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = bad.body["syntaxErrors"]["invalidFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fieldName"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "roles"]);

    let listed = sandbox
        .weavr_call(
            Method::GET,
            &format!("{PR}/users?active=true"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        (
            listed.body["count"].as_u64(),
            listed.body["responseCount"].as_u64()
        ),
        (Some(1), Some(1))
    );

    let buyer = sandbox
        .weavr_call(
            Method::PATCH,
            &format!("{PR}/buyers"),
            &token,
            Some(json!({ "supportedCurrencies": ["GBP", "EUR"] })),
        )
        .await;
    assert_eq!(buyer.status, StatusCode::OK);
    shape(
        &buyer.body,
        &[
            ("id", T::Str),
            ("adminUser.mobile.countryCode", T::Str),
            ("adminUser.roles", T::Arr),
            ("adminUser.emailVerified", T::Bool),
            ("company.name", T::Str),
            ("acceptedTerms", T::Bool),
            ("creationTimestamp", T::Int),
            ("supportedCurrencies", T::Arr),
        ],
    );
    assert_eq!(buyer.body["supportedCurrencies"][1]["currency"], "EUR");
    one_of(
        &buyer.body["supportedCurrencies"][1]["status"],
        &[
            "PENDING_KYB_APPROVAL",
            "STEPUP_LOGIN_REQUIRED",
            "PENDING_CREATION",
            "ACTIVE",
            "UNAVAILABLE",
        ],
    );
    let got = sandbox
        .weavr_call(Method::GET, &format!("{PR}/buyers"), &plain, None)
        .await;
    assert_eq!(
        got.body["supportedCurrencies"],
        buyer.body["supportedCurrencies"]
    );

    // A user who is not the admin: 409 INSUFFICIENT_PERMISSIONS.
    let newcomer = sandbox.weavr_login(PR, NEWCOMER).await;
    let enrol = format!("{PR}/authentication_factors/otp/SMS");
    sandbox.weavr(&enrol, Some(&newcomer), None).await;
    sandbox
        .weavr_code(&format!("{enrol}/verify"), &newcomer, "123456")
        .await;
    let token = sandbox.stepped_up(PR, NEWCOMER).await;
    let refused = sandbox
        .weavr_call(
            Method::PATCH,
            &format!("{PR}/buyers"),
            &token,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (refused.status, code(&refused)),
        (StatusCode::CONFLICT, "INSUFFICIENT_PERMISSIONS")
    );
}

#[tokio::test]
async fn factors_are_listed_as_they_are_enrolled() {
    let sandbox = TestSandbox::start().await;
    let factors = |token: String| {
        let sandbox = &sandbox;
        async move {
            sandbox
                .weavr_call(Method::GET, "/multi/authentication_factors", &token, None)
                .await
                .body["factors"]
                .clone()
        }
    };
    let newcomer = sandbox.weavr_login("/multi", NEWCOMER).await;
    assert_eq!(
        factors(newcomer.clone()).await,
        json!([]),
        "never enrolled: none listed"
    );
    sandbox
        .weavr(
            "/multi/authentication_factors/otp/SMS",
            Some(&newcomer),
            None,
        )
        .await;
    assert_eq!(
        factors(newcomer.clone()).await,
        json!([{ "type": "OTP", "status": "PENDING_VERIFICATION", "channel": "SMS" }])
    );
    sandbox
        .weavr(
            "/multi/authentication_factors/otp/SMS/verify",
            Some(&newcomer),
            Some(json!({"verificationCode": "123456"})),
        )
        .await;
    assert_eq!(factors(newcomer).await[0]["status"], "ACTIVE");
    let buyer = sandbox.weavr_login("/multi", BUYER).await;
    assert_eq!(
        factors(buyer).await,
        json!([
            { "type": "OTP", "status": "ACTIVE", "channel": "SMS" },
            { "type": "PUSH", "status": "ACTIVE", "channel": "BIOMETRIC" },
        ])
    );
}

#[tokio::test]
async fn managed_accounts_carry_their_profile_and_creation_time() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.stepped_up("/multi", BUYER).await;
    let answer = sandbox
        .weavr_call(Method::GET, "/multi/managed_accounts", &token, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    shape(
        &answer.body,
        &[
            ("accounts", T::Arr),
            ("count", T::Int),
            ("responseCount", T::Int),
        ],
    );
    shape(
        &answer.body["accounts"][0],
        &[
            ("id", T::Str),
            ("profileId", T::Str),
            ("friendlyName", T::Str),
            ("currency", T::Str),
            ("balances.availableBalance", T::Int),
            ("balances.actualBalance", T::Int),
            ("state.state", T::Str),
            ("creationTimestamp", T::Int),
        ],
    );
    numeric(&answer.body["accounts"][0]["profileId"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_names_no_field() {
    let sandbox = TestSandbox::start().await;
    let req = sandbox
        .http
        .post(sandbox.url("/weavr/multi/login_with_password"))
        .header("api-key", "weavr-sandbox-key")
        .header("content-type", "application/json")
        .body("{not json");
    let answer = sandbox.send(req).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["syntaxErrors"]["invalidFields"], json!([]));
    assert!(answer.body["message"].is_string());
}
