//! NotifyInitiateAction over HTTPS, and what a missed answer does. Thredd's
//! guide: the PM answers 200, the call is never resent, and the session ends
//! with NotifyValidate or its validation timeout. The PM has 5 s to answer;
//! `settings.thredd.on_missed_answer` says whether the session then waits,
//! fails, or falls back to the card's OTP SMS.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use reqwest::StatusCode;
use serde_json::json;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::support::TestSandbox;
use crate::thredd::{pm, pm_over, Behaviour};

/// A private CA (PEM) and a TLS acceptor for `localhost` with a certificate
/// it signed, as a PM with its own CA would serve.
fn private_ca() -> (String, tokio_rustls::TlsAcceptor) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &Issuer::new(ca, ca_key))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (ca_pem, tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The card of Thredd's guide, with an OTP SMS fallback.
const CARDS: &str =
    "fixtures:\n  thredd:\n    cards:\n      - { pubtoken: 812561666, fallback_mobile: \"+447700900456\" }\n";

/// A sandbox whose scenario has these `settings.thredd` lines.
async fn thredd_with(settings: &str) -> TestSandbox {
    let yaml = format!("settings:\n  thredd:\n{settings}{CARDS}");
    TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await
}

/// `settings.thredd` lines trusting `ca`, indented as a block.
fn trusting(ca: &str) -> String {
    let block: String = ca.lines().map(|l| format!("      {l}\n")).collect();
    format!("    trusted_ca: |\n{block}")
}

#[tokio::test]
async fn an_https_pm_is_reached_when_the_scenario_trusts_its_ca() {
    let (ca, acceptor) = private_ca();
    let sandbox = thredd_with(&trusting(&ca)).await;
    let mut pm = pm_over(Behaviour::Answer(200), Some(acceptor)).await;
    assert!(pm.url.starts_with("https://localhost:"), "{}", pm.url);
    let id = sandbox.purchase(812_561_666, &pm.url, "30s").await;
    let (auth, body) = pm.received.recv().await.unwrap();
    assert!(auth.starts_with("Bearer "), "{auth}");
    assert_eq!(body["GPSInitiateActionID"], id.as_str());
    let event = sandbox.delivery_event(&id).await;
    assert_eq!(
        event["type"], "thredd.notify_initiate_action.sent",
        "{event}"
    );
    assert_eq!(sandbox.session(&id).await["delivery"]["state"], "delivered");
}

#[tokio::test]
async fn a_certificate_nobody_vouches_for_is_refused_on_the_timeline() {
    let (_, acceptor) = private_ca();
    // The scenario trusts another CA; the system's roots do not know this one.
    let (other_ca, _) = private_ca();
    let sandbox = thredd_with(&trusting(&other_ca)).await;
    let mut pm = pm_over(Behaviour::Answer(200), Some(acceptor)).await;
    let id = sandbox.purchase(812_561_666, &pm.url, "30s").await;
    let event = sandbox.delivery_event(&id).await;
    assert_eq!(
        event["type"], "thredd.notify_initiate_action.failed",
        "{event}"
    );
    assert_eq!(event["data"]["state"], "untrusted_certificate", "{event}");
    assert!(
        event["data"]["error"]
            .as_str()
            .unwrap()
            .contains("not trusted"),
        "{event}"
    );
    assert!(pm.received.try_recv().is_err(), "no request went out");
}

#[tokio::test]
async fn a_scenario_refuses_a_trusted_ca_that_is_not_a_certificate() {
    let sandbox = TestSandbox::start().await;
    let refused = sandbox
        .load_scenario("settings:\n  thredd:\n    trusted_ca: not a certificate\n")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body.to_string().contains("trusted_ca"),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn a_missed_answer_fails_the_session_or_falls_back_as_the_scenario_says() {
    let sandbox = thredd_with("    on_missed_answer: fail\n").await;
    let mut silent = pm(Behaviour::Never).await;
    let id = sandbox.purchase(812_561_666, &silent.url, "30s").await;
    silent.received.recv().await.unwrap();
    sandbox.advance("4s").await;
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_VALIDATION");
    sandbox.advance("1s").await;
    let failed = sandbox.delivery_event(&id).await;
    assert_eq!(failed["type"], "thredd.notify_initiate_action.failed");
    let session = wait_for_state(&sandbox, &id, "FAIL_WITH_FEEDBACK").await;
    assert_eq!(session["outcome"], "NOT_ACKNOWLEDGED", "{session}");

    // The default card has an OTP SMS fallback: the code goes to it.
    let sandbox = thredd_with("    on_missed_answer: fallback\n").await;
    let answered_500 = pm(Behaviour::Answer(500)).await;
    let id = sandbox
        .purchase(812_561_666, &answered_500.url, "30s")
        .await;
    let session = wait_for_state(&sandbox, &id, "AWAITING_OTP").await;
    assert_eq!(session["outcome"], "NOT_ACKNOWLEDGED", "{session}");
}

/// The session once it reaches `state` (the delivery task runs beside the test).
async fn wait_for_state(sandbox: &TestSandbox, id: &str, state: &str) -> serde_json::Value {
    for _ in 0..200 {
        let session = sandbox.session(id).await;
        if session["state"] == state {
            return session;
        }
        tokio::task::yield_now().await;
        sandbox.advance("0s").await;
    }
    panic!(
        "session {id} never reached {state}: {}",
        sandbox.session(id).await
    );
}

#[tokio::test]
async fn a_delegated_otp_goes_to_the_pm_signed_and_the_cardholder_types_it() {
    let mut pm = pm(Behaviour::Answer(200)).await;
    let yaml = sca_sandbox::DEFAULT_SCENARIO.replace(
        "    prog_mgr_code: ABC",
        &format!(
            "    prog_mgr_code: ABC\n    signing_alg: RS256\n    delegated_otp_url: {}",
            pm.url
        ),
    );
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let id = sandbox.stepped_up_purchase().await;
    assert_eq!(sandbox.session(&id).await["state"], "AWAITING_OTP");
    let (signature, body) = pm.received.recv().await.unwrap();
    assert_eq!(body["DelegatedOtpId"], id.as_str());
    assert_eq!(body["Pubtoken"], 812_561_666);
    assert_eq!(body["Credential"]["Type"], "OTPSMS");
    assert_eq!(body["Credential"]["Text"], "+447700900456");
    assert_eq!(body["MobileNumber"], "+447700900456");
    let code = body["Passcode"].as_str().unwrap().to_owned();
    assert!(body["MessageContent"].as_str().unwrap().contains(&code));
    // Thredd does not text the cardholder itself: the PM does.
    let texted = sandbox.get("/__admin/sms?provider=thredd").await.body;
    assert_eq!(texted, json!([]), "{texted}");

    // X-Thredd-Signature: k=<key id>,s=<hex SHA256withRSA of the body>,
    // checked with the key the JWKS publishes.
    let (k, s) = signature.split_once(",s=").unwrap();
    assert!(k.starts_with("k=") && k.len() > 10, "{signature}");
    let jwks = sandbox
        .get("/thredd/.well-known/openid-configuration/jwks")
        .await
        .body;
    let b64 = |field: &str| {
        use base64ct::{Base64UrlUnpadded, Encoding};
        Base64UrlUnpadded::decode_vec(jwks["keys"][0][field].as_str().unwrap()).unwrap()
    };
    let public = rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(&b64("n")),
        rsa::BoxedUint::from_be_slice_vartime(&b64("e")),
    )
    .unwrap();
    let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public);
    let bytes = base16ct::lower::decode_vec(s).unwrap();
    let signed = rsa::pkcs1v15::Signature::try_from(bytes.as_slice()).unwrap();
    let exact = serde_json::to_vec(&body).unwrap();
    assert!(rsa::signature::Verifier::verify(&verifier, &exact, &signed).is_ok());
    let mut tampered = body.clone();
    tampered["Passcode"] = json!("000000");
    let tampered = serde_json::to_vec(&tampered).unwrap();
    assert!(rsa::signature::Verifier::verify(&verifier, &tampered, &signed).is_err());

    let sent = wait_for_event(&sandbox, &id, "thredd.delegated_otp.sent").await;
    assert_eq!(sent["data"]["status"], 200);
    let typed = sandbox
        .post(
            &format!("/__admin/thredd/authentications/{id}/otp"),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(typed.body["state"], "AUTHENTICATED", "{}", typed.body);
}

/// The first timeline event of `kind` for `subject` (the task that sends
/// runs beside the test).
async fn wait_for_event(sandbox: &TestSandbox, subject: &str, kind: &str) -> serde_json::Value {
    for _ in 0..100 {
        let events = sandbox
            .get(&format!("/__admin/events?subject={subject}&wait=1s"))
            .await
            .body;
        if let Some(found) = events
            .as_array()
            .and_then(|e| e.iter().find(|e| e["type"] == kind))
        {
            return found.clone();
        }
    }
    panic!("no {kind} for {subject}");
}
