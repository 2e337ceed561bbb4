//! Solaris: complete device-signing change-request flows per second
//! (transfer → authorize → sign → confirm), and the cost of one signature
//! verification.
//!
//! Run with `cargo bench --bench solaris`. `BENCH_SECONDS` (default 5) and
//! `BENCH_FLOWS` (concurrent flows, default 8) tune it. The sandbox runs in
//! this process on its own runtime; the device's signatures are made here, as
//! a phone would, so both the phone's and the bank's cryptography are in the
//! figure.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use serde_json::{json, Value};

const SCENARIO: &str = r#"
settings:
  solaris: { change_request_ttl: 1h }
fixtures:
  solaris:
    clients: [{ client_id: c, client_secret: s }]
    persons:
      - id: p
        mobile_number: "+15550101"
        accounts: [{ id: a, iban: DE92100100101234567891, balance: 9000000000000 }]
"#;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sign(key: &SigningKey, text: &str) -> String {
    let signature: DerSignature = key.sign(text.as_bytes());
    hex(signature.as_bytes())
}

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let flows: usize = std::env::var("BENCH_FLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);

    // One verification, as the confirm endpoint does it (DER decode + verify).
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let der: DerSignature = key.sign(b"string to sign");
    let public = *key.verifying_key();
    let n = 2000;
    let started = Instant::now();
    for _ in 0..n {
        let signature = Signature::from_der(der.as_bytes()).unwrap();
        public.verify(b"string to sign", &signature).unwrap();
    }
    println!(
        "one verification: {:.1} µs (mean of {n})",
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let started = Instant::now();
    for _ in 0..n {
        let _: DerSignature = key.sign(b"string to sign");
    }
    println!(
        "one signature (the device's side): {:.1} µs",
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = sca_sandbox::Sandbox::builder().scenario_yaml(SCENARIO).start().await.unwrap();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = format!("{}/solaris", sandbox.base_url());
        let token: Value = http
            .post(format!("{base}/oauth/token"))
            .json(&json!({"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}))
            .send().await.unwrap().json().await.unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        let device = bind(&http, &sandbox.base_url(), &token, &key).await;

        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..flows {
            let (http, base, token, device, key, stop, done) =
                (http.clone(), base.clone(), token.clone(), device.clone(), key.clone(), stop.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    flow(&http, &base, &token, &device, &key).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.unwrap();
        }
        let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
        println!("device-signing change-request flows: {rate:.0} per second ({flows} concurrent, 3 requests each, in-process)");
        sandbox.shutdown().await;
    });
}

/// Binds `key` as a device of person `p` through the real binding flow.
async fn bind(http: &reqwest::Client, root: &str, token: &str, key: &SigningKey) -> String {
    let public = hex(key.verifying_key().to_sec1_point(false).as_bytes());
    let registered: Value = http
        .post(format!("{root}/solaris/v1/mfa/devices"))
        .bearer_auth(token)
        .json(&json!({"person_id": "p", "key": public, "key_type": "ecdsa-p256", "key_purpose": "restricted", "name": "bench"}))
        .send().await.unwrap().json().await.unwrap();
    let challenge = registered["challenge"]["id"].as_str().unwrap();
    let response = http
        .put(format!(
            "{root}/solaris/v1/mfa/challenges/signatures/{challenge}"
        ))
        .bearer_auth(token)
        .json(&json!({"signature": sign(key, "212212")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    registered["id"].as_str().unwrap().to_owned()
}

/// transfer → authorize (device_signing) → sign → confirm.
async fn flow(http: &reqwest::Client, base: &str, token: &str, device: &str, key: &SigningKey) {
    let held: Value = http
        .post(format!("{base}/v1/persons/p/accounts/a/transactions/sepa_credit_transfer"))
        .bearer_auth(token)
        .json(&json!({"amount": {"value": 100, "unit": "cents", "currency": "EUR"}, "recipient_name": "R", "recipient_iban": "DE89370400440532013000"}))
        .send().await.unwrap().json().await.unwrap();
    let id = held["id"].as_str().unwrap();
    let authorized: Value = http
        .post(format!("{base}/v1/change_requests/{id}/authorize"))
        .bearer_auth(token)
        .json(&json!({"person_id": "p", "delivery_method": "device_signing", "device_id": device}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signature = sign(key, authorized["string_to_sign"].as_str().unwrap());
    let confirmed: Value = http
        .post(format!("{base}/v1/change_requests/{id}/confirm"))
        .bearer_auth(token)
        .json(&json!({"device_id": device, "signature": signature}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(confirmed["status"], "COMPLETED", "{confirmed}");
}
