//! Thredd: the sandbox sends NotifyInitiateAction to a program manager that
//! runs inside the test; the test, as the PM, introspects the token and calls
//! NotifyValidate.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

use crate::support::{Answer, TestSandbox};

/// How the PM's endpoint answers NotifyInitiateAction.
#[derive(Clone)]
pub(crate) enum Behaviour {
    Answer(u16),
    Never,
    WhenReleased(Arc<Notify>),
}

/// A program manager's NotifyInitiateAction endpoint.
pub(crate) struct Pm {
    pub(crate) url: String,
    pub(crate) received: mpsc::UnboundedReceiver<(String, Value)>,
}

pub(crate) async fn pm(behaviour: Behaviour) -> Pm {
    pm_over(behaviour, None).await
}

/// A PM over HTTPS when `tls` is given (its certificate names `localhost`).
pub(crate) async fn pm_over(behaviour: Behaviour, tls: Option<tokio_rustls::TlsAcceptor>) -> Pm {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = match tls {
        Some(_) => format!("https://localhost:{port}/thredd/notify"),
        None => format!("http://127.0.0.1:{port}/thredd/notify"),
    };
    let (tx, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, behaviour, tls) = (tx.clone(), behaviour.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    // A refused handshake is the sandbox refusing us.
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(stream).await {
                            answer(TokioIo::new(stream), tx, behaviour).await;
                        }
                    }
                    None => answer(TokioIo::new(stream), tx, behaviour).await,
                }
            });
        }
    });
    Pm { url, received }
}

/// Serves one connection as the PM: records each call and answers as told.
async fn answer<S>(io: S, tx: mpsc::UnboundedSender<(String, Value)>, behaviour: Behaviour)
where
    S: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let (tx, behaviour) = (tx.clone(), behaviour.clone());
        async move {
            // NotifyInitiateAction carries a Bearer token; a delegated OTP
            // notification its signature instead.
            let headers = req.headers();
            let auth = headers
                .get("authorization")
                .or_else(|| headers.get("x-thredd-signature"))
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let _ = tx.send((auth, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            let status = match behaviour {
                Behaviour::Answer(status) => status,
                Behaviour::Never => std::future::pending().await,
                Behaviour::WhenReleased(release) => {
                    release.notified().await;
                    200
                }
            };
            let mut res = hyper::Response::new(Full::new(Bytes::new()));
            *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
            Ok::<_, std::convert::Infallible>(res)
        }
    });
    let _ = http1::Builder::new().serve_connection(io, service).await;
}

impl TestSandbox {
    async fn thredd_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send(
            self.http
                .post(self.url(&format!("/thredd{path}")))
                .form(form),
        )
        .await
    }

    pub(crate) async fn pm_token(&self) -> String {
        let answer = self
            .thredd_form(
                "/connect/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "thredd-pm"),
                    ("client_secret", "thredd-pm-secret"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    async fn introspect(&self, token: &str) -> Value {
        self.send(
            self.http
                .post(self.url("/thredd/connect/introspect"))
                .basic_auth("thredd-validator", Some("thredd-validator-secret"))
                .form(&[("token", token)]),
        )
        .await
        .body
    }

    pub(crate) async fn purchase(&self, pubtoken: u64, url: &str, timeout: &str) -> String {
        let answer = self
            .post(
                "/__admin/thredd/authentications",
                json!({"pubtoken": pubtoken, "amount": 1000, "currency": "GBP", "merchant": {"name": "Amazon", "url": "https://www.amazon.com"},
                    "notify_initiate_action_url": url, "validation_timeout": timeout}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// Waits for the delivery's outcome event, sent or failed.
    pub(crate) async fn delivery_event(&self, id: &str) -> Value {
        let mut since = 0;
        for _ in 0..50 {
            let events = self
                .get(&format!(
                    "/__admin/events?subject={id}&since={since}&wait=10s"
                ))
                .await
                .body;
            for event in events.as_array().unwrap() {
                since = since.max(event["seq"].as_u64().unwrap());
                if event["type"]
                    .as_str()
                    .unwrap()
                    .starts_with("thredd.notify_initiate_action.")
                {
                    return event.clone();
                }
            }
        }
        panic!("no delivery event for {id}");
    }

    pub(crate) async fn notify_validate(&self, token: &str, body: Value) -> Answer {
        self.send(
            self.http
                .post(self.url("/thredd/api/v1/NotifyValidate"))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    /// A purchase with the card that has an SMS fallback, which the PM
    /// answers STEPUP: the session waits for the fallback OTP.
    pub(crate) async fn stepped_up_purchase(&self) -> String {
        let pm_token = self.pm_token().await;
        let id = self
            .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
            .await;
        self.notify_validate(&pm_token, validate_body(812_561_666, &id, "STEPUP"))
            .await;
        id
    }

    pub(crate) async fn session(&self, id: &str) -> Value {
        self.get(&format!("/__admin/thredd/authentications/{id}"))
            .await
            .body
    }
}

pub(crate) fn validate_body(pubtoken: u64, id: &str, status: &str) -> Value {
    json!({"Pubtoken": pubtoken, "ProgMgrCode": "ABC", "GPSInitiateActionID": id, "PMReferenceID": "637441368856932254", "Status": status, "Error": null})
}

#[tokio::test]
async fn oauth_issues_jwts_and_the_validator_introspects_them() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.pm_token().await;
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let claims = sandbox.introspect(&token).await;
    assert_eq!(claims["active"], true);
    assert_eq!(claims["client_id"], "thredd-pm");
    assert!(claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap() == 14_400);
    let wrong = sandbox
        .thredd_form(
            "/connect/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "thredd-pm"),
                ("client_secret", "x"),
            ],
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let grant = sandbox
        .thredd_form("/connect/token", &[("grant_type", "password")])
        .await;
    assert_eq!(grant.body["error"], "unsupported_grant_type");
    // The PM client may not introspect; the validator may not get tokens.
    let pm_introspect = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/thredd/connect/introspect"))
                .basic_auth("thredd-pm", Some("thredd-pm-secret"))
                .form(&[("token", token.as_str())]),
        )
        .await;
    assert_eq!(pm_introspect.status, StatusCode::UNAUTHORIZED);
    let validator_token = sandbox
        .thredd_form(
            "/connect/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "thredd-validator"),
                ("client_secret", "thredd-validator-secret"),
            ],
        )
        .await;
    assert_eq!(validator_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sandbox.introspect("made.up.token").await,
        json!({"active": false})
    );
    sandbox.advance("4h").await;
    assert_eq!(sandbox.introspect(&token).await, json!({"active": false}));
}

#[tokio::test]
async fn a_purchase_reaches_the_pm_who_validates_it() {
    let sandbox = TestSandbox::start().await;
    let mut pm = pm(Behaviour::Answer(200)).await;
    let id = sandbox.purchase(812_561_666, &pm.url, "30s").await;
    let (auth, body) = pm.received.recv().await.unwrap();
    // Every field of the NotifyInitiateAction table.
    assert_eq!(body["Pubtoken"], 812_561_666);
    assert_eq!(body["GPSInitiateActionID"], id);
    assert_eq!(body["GPSInitiateActionID"].as_str().unwrap().len(), 36);
    assert_eq!(body["Credential"]["Type"], "BIOMETRIC");
    assert_eq!(body["Credential"]["Id"].as_str().unwrap().len(), 36);
    assert_eq!(body["MerchantInfo"]["MerchantName"], "Amazon");
    assert_eq!(body["TransactionInfo"]["TransactionAmount"], 1000);
    assert_eq!(body["TransactionInfo"]["TransactionCurrency"], "826");
    assert_eq!(body["TransactionInfo"]["TransactionExponent"], 2);
    assert_eq!(body["MessageVersion3DS"], "2.2.0");
    // EMV 3DS (2.x) writes the merchant's country as the numeric ISO code.
    assert_eq!(body["MerchantInfo"]["MerchantCountryCode"], "826");
    // The PM checks Thredd's token through introspection.
    let token = auth.strip_prefix("Bearer ").unwrap();
    assert_eq!(sandbox.introspect(token).await["active"], true);
    assert_eq!(
        sandbox.delivery_event(&id).await["type"],
        "thredd.notify_initiate_action.sent"
    );
    let session = sandbox.session(&id).await;
    assert_eq!(session["delivery"]["status"], 200);
    assert!(session["delivery"]["latency_ms"].as_f64().is_some());

    let pm_token = sandbox.pm_token().await;
    let answer = sandbox
        .notify_validate(&pm_token, validate_body(812_561_666, &id, "SUCCESS"))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body["Error"],
        json!({"ReferenceNumber": "", "Description": "", "Message": ""})
    );
    assert_eq!(answer.body["PMReferenceID"], "637441368856932254");
    let session = sandbox.session(&id).await;
    assert_eq!(
        (session["state"].as_str(), session["outcome"].as_str()),
        (Some("AUTHENTICATED"), Some("SUCCESS"))
    );
    let again = sandbox
        .notify_validate(&pm_token, validate_body(812_561_666, &id, "SUCCESS"))
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.body["Error"]["Description"],
        "Duplicate NotifyValidate"
    );
    assert!(!again.body["Error"]["ReferenceNumber"]
        .as_str()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn failures_end_in_fail_with_feedback() {
    let sandbox = TestSandbox::start().await;
    let pm_token = sandbox.pm_token().await;
    for status in ["FAILURE", "FAILWITHFEEDBACK", "ERROR"] {
        let id = sandbox
            .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
            .await;
        let answer = sandbox
            .notify_validate(&pm_token, validate_body(812_561_666, &id, status))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{status}");
        let session = sandbox.session(&id).await;
        assert_eq!(session["state"], "FAIL_WITH_FEEDBACK", "{status}");
        assert_eq!(session["outcome"], status);
    }
}

#[tokio::test]
async fn stepup_falls_back_to_an_otp_sms_when_the_card_has_one() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.stepped_up_purchase().await;
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_OTP");
    let sms = sandbox
        .get("/__admin/sms?provider=thredd&to=%2B447700900456")
        .await
        .body;
    let code = sms[0]["code"].as_str().unwrap().to_owned();
    assert_eq!(sms[0]["reference"], id);
    let wrong = sandbox
        .post(
            &format!("/__admin/thredd/authentications/{id}/otp"),
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let right = sandbox
        .post(
            &format!("/__admin/thredd/authentications/{id}/otp"),
            json!({"code": code}),
        )
        .await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(right.body["state"], "AUTHENTICATED");

    let bare = sandbox
        .purchase(987_654_321, "http://127.0.0.1:9/unused", "30s")
        .await;
    let pm_token = sandbox.pm_token().await;
    sandbox
        .notify_validate(&pm_token, validate_body(987_654_321, &bare, "STEPUP"))
        .await;
    assert_eq!(
        sandbox.session(&bare).await["state"],
        "FAIL_WITH_FEEDBACK",
        "no fallback: STEPUP fails"
    );
    assert_eq!(
        sandbox
            .get("/__admin/sms?to=%2B447700900456")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_validation_timeout_runs_on_the_sandbox_clock() {
    let sandbox = TestSandbox::start().await;
    let pm_token = sandbox.pm_token().await;
    let id = sandbox
        .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
        .await;
    sandbox.advance("29s").await;
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_VALIDATION");
    sandbox.advance("1s").await;
    let session = sandbox.session(&id).await;
    assert_eq!(
        (session["state"].as_str(), session["outcome"].as_str()),
        (Some("FAIL_WITH_FEEDBACK"), Some("TIMEOUT"))
    );
    let late = sandbox
        .notify_validate(&pm_token, validate_body(812_561_666, &id, "SUCCESS"))
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.body["Error"]["Description"], "Session timed out");
    let too_long = sandbox
        .post("/__admin/thredd/authentications", json!({"pubtoken": 812_561_666, "amount": 1, "currency": "EUR", "validation_timeout": "901s"}))
        .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn notify_validate_checks_its_bearer_and_fields() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox
        .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
        .await;
    let body = validate_body(812_561_666, &id, "SUCCESS");
    let none = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/thredd/api/v1/NotifyValidate"))
                .json(&body),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sandbox
            .notify_validate("made.up.token", body.clone())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let token = sandbox.pm_token().await;
    let mut cases = Vec::new();
    for (key, value, description) in [
        ("ProgMgrCode", json!("XYZ"), "Invalid request"),
        ("Status", json!("MAYBE"), "Invalid request"),
        ("Pubtoken", json!(1_234_567_890u64), "Invalid request"),
        (
            "Pubtoken",
            json!(987_654_321),
            "Invalid GPSInitiateActionID",
        ),
        ("GPSInitiateActionID", json!("short"), "Invalid request"),
    ] {
        let mut bad = body.clone();
        bad[key] = value;
        cases.push((key, sandbox.notify_validate(&token, bad).await, description));
    }
    for (key, answer, description) in cases {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{key}");
        assert_eq!(
            answer.body["Error"]["Description"], description,
            "{key}: {:?}",
            answer.body
        );
    }
    let junk = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/thredd/api/v1/NotifyValidate"))
                .bearer_auth(&token)
                .body("{not json"),
        )
        .await;
    assert_eq!(junk.body["Error"]["Description"], "Invalid JSON");
    // None of that touched the session; a right call still works, until 4 h pass for the token.
    assert_eq!(
        sandbox.notify_validate(&token, body).await.status,
        StatusCode::OK
    );
    sandbox.advance("4h").await;
    let id = sandbox
        .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
        .await;
    let expired = sandbox
        .notify_validate(&token, validate_body(812_561_666, &id, "SUCCESS"))
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deliveries_that_fail_are_recorded_and_never_resent() {
    let sandbox = TestSandbox::start().await;
    // A PM that is down.
    let down = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let down_url = format!("http://{}/x", down.local_addr().unwrap());
    drop(down);
    let id = sandbox.purchase(812_561_666, &down_url, "30s").await;
    let event = sandbox.delivery_event(&id).await;
    assert_eq!(
        event["type"], "thredd.notify_initiate_action.failed",
        "{event}"
    );
    let session = sandbox.session(&id).await;
    assert!(
        session["delivery"]["error"]
            .as_str()
            .unwrap()
            .contains("connection"),
        "{session}"
    );

    // A PM that answers 500.
    let mut failing = pm(Behaviour::Answer(500)).await;
    let id = sandbox.purchase(812_561_666, &failing.url, "30s").await;
    failing.received.recv().await.unwrap();
    assert_eq!(sandbox.delivery_event(&id).await["data"]["status"], 500);
    assert_eq!(sandbox.session(&id).await["delivery"]["state"], "failed");
    assert!(failing.received.try_recv().is_err(), "never resent");
}

#[tokio::test]
async fn a_slow_pm_is_waited_for_and_one_that_never_answers_is_given_up_on() {
    let sandbox = TestSandbox::start().await;
    let release = Arc::new(Notify::new());
    let mut slow = pm(Behaviour::WhenReleased(release.clone())).await;
    let id = sandbox.purchase(812_561_666, &slow.url, "30s").await;
    slow.received.recv().await.unwrap();
    assert_eq!(sandbox.session(&id).await["delivery"]["state"], "pending");
    release.notify_one();
    assert_eq!(
        sandbox.delivery_event(&id).await["type"],
        "thredd.notify_initiate_action.sent"
    );

    let mut silent = pm(Behaviour::Never).await;
    let id = sandbox.purchase(812_561_666, &silent.url, "10s").await;
    silent.received.recv().await.unwrap();
    // Nothing else is held up while the PM sits on the call.
    assert_eq!(sandbox.get("/__admin/health").await.status, StatusCode::OK);
    // The PM has 5 s to answer 200; the call is not resent, and by default
    // the session waits for NotifyValidate until its validation timeout.
    sandbox.advance("5s").await;
    let event = sandbox.delivery_event(&id).await;
    assert_eq!(event["type"], "thredd.notify_initiate_action.failed");
    assert!(
        event["data"]["error"]
            .as_str()
            .unwrap()
            .contains("no 200 within 5s"),
        "{event}"
    );
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_VALIDATION");
    sandbox.advance("5s").await;
    assert_eq!(sandbox.session(&id).await["outcome"], "TIMEOUT");
    assert!(silent.received.try_recv().is_err(), "never resent");
}

#[tokio::test]
async fn a_scenario_rule_can_drop_the_callback() {
    let sandbox = TestSandbox::with(
        "rules:\n  - when: { operation: thredd.notify_initiate_action.send }\n    fault: drop\n",
    )
    .await;
    let mut pm = pm(Behaviour::Answer(200)).await;
    let id = sandbox.purchase(812_561_666, &pm.url, "30s").await;
    let event = sandbox.delivery_event(&id).await;
    assert_eq!(event["data"]["state"], "dropped_by_scenario");
    assert!(pm.received.try_recv().is_err());
    let unknown = sandbox
        .post(
            "/__admin/thredd/authentications",
            json!({"pubtoken": 1, "amount": 1, "currency": "EUR"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_wrong_fallback_otp_is_refused_and_the_third_fails_the_session() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.stepped_up_purchase().await;
    let path = format!("/__admin/thredd/authentications/{id}/otp");
    for try_ in 1..=3 {
        let wrong = sandbox.post(&path, json!({"code": "000000"})).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "try {try_}");
        let code = if try_ < 3 {
            "invalid_otp"
        } else {
            "otp_attempts_exhausted"
        };
        assert_eq!(wrong.body["error"]["code"], code, "try {try_}");
    }
    assert_eq!(sandbox.session(&id).await["state"], "FAIL_WITH_FEEDBACK");
    let events = sandbox
        .get(&format!(
            "/__admin/events?type=thredd.otp.entered&subject={id}"
        ))
        .await
        .body;
    assert_eq!(events[0]["data"]["state"], "FAIL_WITH_FEEDBACK", "{events}");
    // The right code after that is too late.
    let sms = sandbox.get("/__admin/sms?provider=thredd").await.body;
    let code = sms[0]["code"].as_str().unwrap().to_owned();
    let late = sandbox.post(&path, json!({"code": code})).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_merchant_country_is_sent_as_the_numeric_iso_code() {
    let sandbox = TestSandbox::start().await;
    let mut pm = pm(Behaviour::Answer(200)).await;
    let start = |country: &str| {
        json!({"pubtoken": 812_561_666, "amount": 1000, "currency": "EUR",
            "merchant": {"name": "Shop", "url": "https://shop.example", "country_code": country},
            "notify_initiate_action_url": pm.url})
    };
    for (given, sent) in [("DE", "276"), ("se", "752"), ("UK", "826"), ("250", "250")] {
        let answer = sandbox
            .post("/__admin/thredd/authentications", start(given))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{given}");
        let (_, body) = pm.received.recv().await.unwrap();
        assert_eq!(body["MerchantInfo"]["MerchantCountryCode"], sent, "{given}");
    }
    let unknown = sandbox
        .post("/__admin/thredd/authentications", start("XX"))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["error"]["code"], "invalid_body");
}

/// A JWT's parts: header and claims decoded, the signing input, the signature.
fn jwt_parts(token: &str) -> (Value, Value, String, Vec<u8>) {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let json = |p: &str| -> Value {
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(p).unwrap()).unwrap()
    };
    (
        json(parts[0]),
        json(parts[1]),
        format!("{}.{}", parts[0], parts[1]),
        Base64UrlUnpadded::decode_vec(parts[2]).unwrap(),
    )
}

#[tokio::test]
async fn a_pm_can_check_the_token_itself_with_the_published_keys() {
    use base64ct::{Base64UrlUnpadded, Encoding};
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};

    let sandbox = TestSandbox::start().await;
    let discovery = sandbox
        .get("/thredd/.well-known/openid-configuration")
        .await;
    assert_eq!(discovery.status, StatusCode::OK);
    assert_eq!(discovery.body["issuer"], "https://oauth.sca-sandbox.local");
    let jwks_uri = discovery.body["jwks_uri"].as_str().unwrap();
    assert!(jwks_uri.ends_with("/thredd/.well-known/openid-configuration/jwks"));
    let jwks = sandbox.send(sandbox.http.get(jwks_uri)).await;
    assert_eq!(jwks.status, StatusCode::OK, "{jwks_uri}");
    let key = &jwks.body["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"]),
        (&json!("EC"), &json!("P-256"), &json!("ES256"))
    );

    let token = sandbox.pm_token().await;
    let (header, claims, signed, signature) = jwt_parts(&token);
    assert_eq!(
        header["kid"], key["kid"],
        "the header names the published key"
    );
    assert_eq!(claims["iss"], discovery.body["issuer"]);
    let mut sec1 = vec![4u8];
    for c in ["x", "y"] {
        sec1.extend(Base64UrlUnpadded::decode_vec(key[c].as_str().unwrap()).unwrap());
    }
    let public = VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    let signature = Signature::from_slice(&signature).unwrap();
    assert!(public.verify(signed.as_bytes(), &signature).is_ok());
    assert!(public.verify(b"another text", &signature).is_err());

    let post = sandbox
        .request(Method::POST, "/thredd/.well-known/openid-configuration")
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_issuer_is_a_setting() {
    // A file without fixtures plays in the demo world.
    let yaml = "settings:\n  thredd: { issuer: \"https://auth.example\" }\n";
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let token = sandbox.pm_token().await;
    assert_eq!(jwt_parts(&token).1["iss"], "https://auth.example");
    assert_eq!(
        sandbox.introspect(&token).await["iss"],
        "https://auth.example"
    );
    let discovery = sandbox
        .get("/thredd/.well-known/openid-configuration")
        .await;
    assert_eq!(discovery.body["issuer"], "https://auth.example");
    let not_a_url = "settings:\n  thredd: { issuer: nope }\n";
    let refused = sca_sandbox::Scenario::parse("x.yaml", not_a_url).unwrap_err();
    assert!(refused.message.contains("issuer"), "{refused}");
}

#[tokio::test]
async fn rs256_tokens_name_the_certificate_and_verify_with_the_jwks() {
    use base64ct::{Base64UrlUnpadded, Encoding};

    let yaml = "settings:\n  thredd: { signing_alg: RS256 }\n";
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let discovery = sandbox
        .get("/thredd/.well-known/openid-configuration")
        .await;
    assert_eq!(
        discovery.body["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let jwks = sandbox
        .get("/thredd/.well-known/openid-configuration/jwks")
        .await;
    let key = &jwks.body["keys"][0];
    assert_eq!((&key["kty"], &key["alg"]), (&json!("RSA"), &json!("RS256")));
    assert!(key["x5c"][0].is_string() && key["x5t"].is_string());

    let token = sandbox.pm_token().await;
    let (header, _, signed, signature) = jwt_parts(&token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!((&header["kid"], &header["x5t"]), (&key["kid"], &key["x5t"]));
    let number = |name: &str| {
        rsa::BoxedUint::from_be_slice_vartime(
            &Base64UrlUnpadded::decode_vec(key[name].as_str().unwrap()).unwrap(),
        )
    };
    let public = rsa::PublicKey::new(number("n"), number("e")).unwrap();
    let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public);
    let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice()).unwrap();
    use rsa::signature::Verifier as _;
    assert!(verifier.verify(signed.as_bytes(), &signature).is_ok());
    assert!(verifier.verify(b"another text", &signature).is_err());
    // Introspection still knows the token.
    assert_eq!(sandbox.introspect(&token).await["active"], true);

    let wrong = "settings:\n  thredd: { signing_alg: HS256 }\n";
    assert!(sca_sandbox::Scenario::parse("x.yaml", wrong).is_err());
}

#[tokio::test]
async fn the_app_route_plays_the_cardholder_and_the_pm_once() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox
        .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
        .await;
    let path = format!("/__admin/thredd/authentications/{id}/app");
    let bad = sandbox.post(&path, json!({"status": "MAYBE"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_VALIDATION");
    let approved = sandbox.post(&path, json!({"status": "SUCCESS"})).await;
    assert_eq!(approved.status, StatusCode::OK);
    assert_eq!(approved.body["state"], "AUTHENTICATED");
    assert_eq!(approved.body["outcome"], "SUCCESS");
    let again = sandbox.post(&path, json!({"status": "FAILURE"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["code"], "not_awaiting_validation");
    let unknown = sandbox
        .post(
            "/__admin/thredd/authentications/nope/app",
            json!({"status": "SUCCESS"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // STEPUP sends the fallback OTP to the card's phone, as the PM's would.
    let stepped = sandbox
        .purchase(812_561_666, "http://127.0.0.1:9/unused", "30s")
        .await;
    let answer = sandbox
        .post(
            &format!("/__admin/thredd/authentications/{stepped}/app"),
            json!({"status": "STEPUP"}),
        )
        .await;
    assert_eq!(answer.body["state"], "AWAITING_OTP");
    let sms = sandbox.get("/__admin/sms?provider=thredd").await.body;
    assert_eq!(sms[0]["reference"], stepped);
}
