//! The same scenario, seed and requests give the same bytes: ids, codes,
//! tokens, probabilistic choices and templated answers.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestSandbox, SHINE_TOKEN};

const SCENARIO: &str = "seed: 2026
users:
  weavr: { otp: random }
  solaris: { otp: random }
  thredd: { pm: { decide: stepup } }
rules:
  - when: { operation: shine.action_request.poll, probability: 0.5 }
    respond: { status: 503, body: { id: \"{{uuid}}\", at: \"{{now}}\" } }
";

/// Runs one flow of every provider and returns everything the sandbox said.
async fn transcript() -> Vec<String> {
    let sandbox = TestSandbox::with(SCENARIO).await;
    let clock = sandbox
        .post(
            "/__admin/clock",
            json!({"frozen": true, "set": "2026-11-23T10:00:00Z"}),
        )
        .await;
    assert_eq!(clock.status, reqwest::StatusCode::OK);
    let mut out = Vec::new();

    // Shine: a request, polls (some answered 503 by chance), the user, a transfer.
    let created = sandbox.shine_create().await;
    record(&mut out, "shine.create", &created);
    let id = created.body["data"]["authenticationActionRequestId"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..8 {
        record(&mut out, "shine.poll", &sandbox.shine_poll(&id).await);
    }
    sandbox
        .post(
            &format!("/__admin/shine/action_requests/{id}/confirm"),
            json!(null),
        )
        .await;
    let mut token = String::new();
    for _ in 0..8 {
        let polled = sandbox.shine_poll(&id).await;
        if let Some(t) = polled.body["data"]["token"].as_str() {
            token = t.to_owned();
        }
        record(&mut out, "shine.poll", &polled);
    }
    record(
        &mut out,
        "shine.transfer",
        &sandbox
            .shine_transfer(&token, crate::support::transfer_body())
            .await,
    );
    let _ = SHINE_TOKEN;

    // Weavr: login and a step-up with a random code.
    let login = sandbox
        .weavr(
            "/payment-run/v1/login_with_password",
            None,
            Some(json!({"email": "buyer@example.com", "password": {"value": "Passw0rd!"}})),
        )
        .await;
    record(&mut out, "weavr.login", &login);
    let weavr_token = login.body["token"].as_str().unwrap().to_owned();
    record(
        &mut out,
        "weavr.stepup",
        &sandbox
            .weavr(
                "/payment-run/v1/stepup/challenges/otp/SMS",
                Some(&weavr_token),
                None,
            )
            .await,
    );

    // Solaris: a token and an SMS challenge for the person with random codes.
    let solaris = sandbox.solaris_token().await;
    record_text(&mut out, "solaris.token", &solaris);
    record(
        &mut out,
        "solaris.challenge",
        &sandbox
            .solaris(
                Method::POST,
                "/v1/mfa/challenges/sms",
                &solaris,
                Some(json!({"person_id": "person-2"})),
            )
            .await,
    );

    // Intergiro: a payment that needs consent.
    let intergiro = sandbox.intergiro_login().await;
    record_text(&mut out, "intergiro.token", &intergiro);
    record(
        &mut out,
        "intergiro.pay",
        &sandbox.pay_iban(&intergiro, "r1", "Acme").await,
    );

    // Thredd: a purchase the simulated PM steps up to the SMS fallback.
    let id = sandbox.start_3ds(812_561_666).await;
    record(
        &mut out,
        "thredd.session",
        &sandbox
            .get(&format!("/__admin/thredd/authentications/{id}"))
            .await,
    );

    record(&mut out, "sms", &sandbox.get("/__admin/sms").await);
    record(&mut out, "events", &sandbox.get("/__admin/events").await);
    out
}

fn record(out: &mut Vec<String>, label: &str, answer: &crate::support::Answer) {
    let mut headers: Vec<String> = answer
        .headers
        .iter()
        .filter(|(k, _)| *k != "date")
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
        .collect();
    headers.sort();
    out.push(format!(
        "{label} {} {headers:?} {}",
        answer.status, answer.body
    ));
}

fn record_text(out: &mut Vec<String>, label: &str, text: &str) {
    out.push(format!("{label} {text}"));
}

#[tokio::test]
async fn two_runs_of_a_seeded_scenario_on_a_frozen_clock_are_identical() {
    let first = transcript().await;
    let second = transcript().await;
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a, b);
    }
    // The transcript exercises what it claims to.
    let polls = first
        .iter()
        .filter(|l| l.starts_with("shine.poll"))
        .collect::<Vec<_>>();
    assert!(
        polls.iter().any(|l| l.contains(" 503 ")),
        "some polls failed by chance"
    );
    assert!(
        polls.iter().any(|l| l.contains(" 200 ")),
        "and some did not"
    );
    assert!(first
        .iter()
        .any(|l| l.starts_with("sms ") && l.contains("+447700900456")));
}
