//! Load and soak: keep-alive connections run whole flows of all five
//! providers against the release binary, mixed, for a fixed time, while the
//! sandbox clock jumps six hours ahead every few seconds, so everything the
//! flows made expires, outlives its retention (a day at most) and is swept.
//! Fails (exit 1) on any unexpected answer, on a flow that did not end where
//! it should, on live objects left after the last sweep, or on memory that
//! keeps growing.
//!
//! Run with `cargo bench --bench soak`. Knobs (environment): `SOAK_SECONDS`
//! (default 60), `SOAK_CONNECTIONS` (64), `SOAK_ADVANCE_EVERY` (seconds
//! between clock jumps, default 5).

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Method;
use serde_json::{json, Value};
use tokio::sync::RwLock;

use support::{connect, env_or, rss_kib, spawn};

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");
const FLOWS: [&str; 5] = ["shine", "solaris", "weavr", "intergiro", "thredd"];

/// One connection's client, recording every request's latency.
struct Client {
    sender: SendRequest<Full<Bytes>>,
    latencies_us: Vec<u32>,
    requests: u64,
}

/// An answer that was not the one the flow expects.
#[derive(Debug)]
struct Unexpected(String);

type Step<T> = Result<T, Unexpected>;

impl Client {
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
        want: u16,
    ) -> Step<Value> {
        let mut req = hyper::Request::builder()
            .method(method.clone())
            .uri(path)
            .header("host", "127.0.0.1");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let started = Instant::now();
        self.sender
            .ready()
            .await
            .map_err(|e| Unexpected(format!("{method} {path}: connection: {e}")))?;
        let res = self
            .sender
            .send_request(req.body(Full::new(body)).expect("a request"))
            .await
            .map_err(|e| Unexpected(format!("{method} {path}: {e}")))?;
        let status = res.status().as_u16();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map_err(|e| Unexpected(format!("{method} {path}: body: {e}")))?
            .to_bytes();
        self.latencies_us
            .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        self.requests += 1;
        if status != want {
            let text = String::from_utf8_lossy(&bytes);
            return Err(Unexpected(format!(
                "{method} {path}: {status} (wanted {want}) {text}"
            )));
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn admin(&mut self, path: &str, body: Option<Value>, want: u16) -> Step<Value> {
        self.call(Method::POST, &format!("/__admin{path}"), &[], body, want)
            .await
    }

    /// Create, confirm in the app, poll, spend the token.
    async fn shine(&mut self) -> Step<()> {
        let payload =
            json!({"amount": 234, "bankTransferRecipientId": "recipient-1", "uid": "user-1"});
        let created = self
            .call(
                Method::POST,
                "/shine/v2/authentication/oauth2/action_request",
                &[],
                Some(json!({
                    "action": "bank:transfers:create", "client_id": "shine-client",
                    "client_secret": "shine-secret", "uid": "user-1", "payload": payload,
                })),
                200,
            )
            .await?;
        let id = text(&created["data"]["authenticationActionRequestId"])?;
        self.admin(&format!("/shine/action_requests/{id}/confirm"), None, 200)
            .await?;
        let path = format!("/shine/v2/authentication/oauth2/action_request/{id}/poll?client_id=shine-client&client_secret=shine-secret");
        let polled = self.call(Method::GET, &path, &[], None, 200).await?;
        let token = text(&polled["data"]["token"])?;
        let headers = [
            ("authorization", "Bearer shine-user-1-token"),
            ("short-lived-token", token.as_str()),
        ];
        let transfer = self
            .call(
                Method::POST,
                "/shine/v3/bank/transfers",
                &headers,
                Some(payload),
                201,
            )
            .await?;
        expect(&transfer["data"]["status"], "transfer status", |s| {
            !s.is_empty()
        })
    }

    /// A transfer becomes a change request, authorised and confirmed by TAN.
    async fn solaris(&mut self) -> Step<()> {
        let token = self
            .call(Method::POST, "/solaris/oauth/token", &[], Some(json!({
                "grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "solaris-secret",
            })), 201)
            .await?;
        let bearer = format!("Bearer {}", text(&token["access_token"])?);
        let auth = [("authorization", bearer.as_str())];
        let change = self
            .call(
                Method::POST,
                "/solaris/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer",
                &auth,
                Some(json!({
                    "amount": {"value": 1, "unit": "cents", "currency": "EUR"},
                    "recipient_name": "Jane Doe", "recipient_iban": "DE89370400440532013000",
                })),
                202,
            )
            .await?;
        let id = text(&change["id"])?;
        self.call(
            Method::POST,
            &format!("/solaris/v1/change_requests/{id}/authorize"),
            &auth,
            Some(json!({"person_id": "person-1", "delivery_method": "static"})),
            201,
        )
        .await?;
        let done = self
            .call(
                Method::POST,
                &format!("/solaris/v1/change_requests/{id}/confirm"),
                &auth,
                Some(json!({"person_id": "person-1", "tan": "212212"})),
                201,
            )
            .await?;
        expect(&done["status"], "change request status", |s| {
            s == "COMPLETED"
        })
    }

    /// Log in, step up by SMS, read the accounts the step-up opens.
    async fn weavr(&mut self) -> Step<()> {
        let key = [("api-key", "weavr-sandbox-key")];
        let login = self
            .call(
                Method::POST,
                "/weavr/payment-run/v1/login_with_password",
                &key,
                Some(json!({
                    "email": "buyer@example.com", "password": {"value": "Passw0rd!"},
                })),
                200,
            )
            .await?;
        let bearer = format!("Bearer {}", text(&login["token"])?);
        let auth = [
            ("api-key", "weavr-sandbox-key"),
            ("authorization", bearer.as_str()),
        ];
        self.call(
            Method::POST,
            "/weavr/payment-run/v1/stepup/challenges/otp/SMS",
            &auth,
            None,
            204,
        )
        .await?;
        self.call(
            Method::POST,
            "/weavr/payment-run/v1/stepup/challenges/otp/SMS/verify",
            &auth,
            Some(json!({"verificationCode": "123456"})),
            204,
        )
        .await?;
        self.call(
            Method::GET,
            "/weavr/payment-run/v1/linked_accounts",
            &auth,
            None,
            200,
        )
        .await?;
        self.call(
            Method::POST,
            "/weavr/payment-run/v1/logout",
            &auth,
            None,
            204,
        )
        .await?;
        Ok(())
    }

    /// A payment to an IBAN needs consent; the user approves; it goes through.
    async fn intergiro(&mut self, n: u64) -> Step<()> {
        let tokens = self
            .call(
                Method::POST,
                "/intergiro/v3/auth/login",
                &[],
                Some(json!({"api_key": "intergiro-sandbox-key"})),
                200,
            )
            .await?;
        let bearer = format!("Bearer {}", text(&tokens["access_token"])?);
        let auth = [("authorization", bearer.as_str())];
        let pay = json!({
            "request_id": format!("soak-{}-{n}", std::process::id()), "account_id": "acc-1", "amount": 100,
            "reference": "soak", "counterparty": {"name": "Jane Doe", "account": {"iban": "SE4550000000058398257466"}},
        });
        let asked = self
            .call(
                Method::POST,
                "/intergiro/v3/transactions/pay",
                &auth,
                Some(pay.clone()),
                412,
            )
            .await?;
        let id = text(&asked["consent"]["id"])?;
        self.admin(&format!("/intergiro/consents/{id}/approve"), None, 200)
            .await?;
        let paid = self
            .call(
                Method::POST,
                "/intergiro/v3/transactions/pay",
                &auth,
                Some(pay),
                200,
            )
            .await?;
        expect(&paid["status"], "payment status", |s| s == "pending")
    }

    /// A purchase; the PM approves with NotifyValidate; the session says so.
    async fn thredd(&mut self) -> Step<()> {
        let started = self
            .admin(
                "/thredd/authentications",
                Some(json!({"pubtoken": 812561666, "amount": 1000, "currency": "GBP"})),
                201,
            )
            .await?;
        let id = text(&started["id"])?;
        let token = self.thredd_token().await?;
        let bearer = format!("Bearer {token}");
        self.call(
            Method::POST,
            "/thredd/api/v1/NotifyValidate",
            &[("authorization", bearer.as_str())],
            Some(json!({
                "Pubtoken": 812561666, "ProgMgrCode": "ABC", "GPSInitiateActionID": id,
                "PMReferenceID": "soak", "Status": "SUCCESS", "Error": null,
            })),
            200,
        )
        .await?;
        let session = self
            .call(
                Method::GET,
                &format!("/__admin/thredd/authentications/{id}"),
                &[],
                None,
                200,
            )
            .await?;
        expect(&session["state"], "session state", |s| s == "AUTHENTICATED")
    }

    async fn thredd_token(&mut self) -> Step<String> {
        // A form body, so this one is built by hand.
        let req = hyper::Request::post("/thredd/connect/token")
            .header("host", "127.0.0.1")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from_static(
                b"grant_type=client_credentials&client_id=thredd-pm&client_secret=thredd-pm-secret",
            )))
            .expect("a request");
        let started = Instant::now();
        self.sender
            .ready()
            .await
            .map_err(|e| Unexpected(format!("token: {e}")))?;
        let res = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| Unexpected(format!("token: {e}")))?;
        let ok = res.status() == 200;
        let bytes = res
            .into_body()
            .collect()
            .await
            .map_err(|e| Unexpected(format!("token: {e}")))?
            .to_bytes();
        self.latencies_us
            .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        self.requests += 1;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !ok {
            return Err(Unexpected(format!("thredd token: {body}")));
        }
        text(&body["access_token"])
    }
}

fn text(v: &Value) -> Step<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| Unexpected(format!("expected a string, got {v}")))
}

fn expect(v: &Value, what: &str, ok: impl Fn(&str) -> bool) -> Step<()> {
    match v.as_str() {
        Some(s) if ok(s) => Ok(()),
        _ => Err(Unexpected(format!("{what}: {v}"))),
    }
}

/// What the connections did, in total.
#[derive(Default)]
struct Tally {
    started: [AtomicU64; 5],
    completed: [AtomicU64; 5],
    errors: AtomicU64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn main() {
    let seconds: u64 = env_or("SOAK_SECONDS", 60);
    let connections: usize = env_or("SOAK_CONNECTIONS", 64);
    let advance_every: u64 = env_or("SOAK_ADVANCE_EVERY", 5);
    let (mut child, addr) = spawn(
        Command::new(BIN)
            .args(["--port", "0"])
            .env("RUST_LOG", "warn"),
    );
    let pid = child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let ok = runtime.block_on(async move {
        let tally = Arc::new(Tally::default());
        // Flows hold it shared; a clock jump takes it alone, so no flow sees
        // its objects expire half-way.
        let world = Arc::new(RwLock::new(()));
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for c in 0..connections {
            let (tally, world) = (tally.clone(), world.clone());
            tasks.push(tokio::spawn(async move {
                let mut client = Client {
                    sender: connect(addr).await,
                    latencies_us: Vec::new(),
                    requests: 0,
                };
                let mut n = c as u64;
                while Instant::now() < deadline {
                    let kind = (n % 5) as usize;
                    let _flow = world.read().await;
                    tally.started[kind].fetch_add(1, Ordering::Relaxed);
                    let result = match kind {
                        0 => client.shine().await,
                        1 => client.solaris().await,
                        2 => client.weavr().await,
                        3 => client.intergiro(n).await,
                        _ => client.thredd().await,
                    };
                    match result {
                        Ok(()) => {
                            tally.completed[kind].fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if tally.errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("error in a {} flow: {}", FLOWS[kind], e.0);
                            }
                            // A failed request may have broken the connection.
                            client.sender = connect(addr).await;
                        }
                    }
                    n += connections as u64;
                }
                (client.latencies_us, client.requests)
            }));
        }

        // The clock jumps ahead, the sweeper runs; memory is sampled meanwhile.
        let mut control = Client {
            sender: connect(addr).await,
            latencies_us: Vec::new(),
            requests: 0,
        };
        let mut samples = Vec::new();
        let started = Instant::now();
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(advance_every)).await;
            let _alone = world.write().await;
            if let Err(e) = control
                .admin("/clock", Some(json!({"advance": "6h"})), 200)
                .await
            {
                eprintln!("clock: {}", e.0);
                tally.errors.fetch_add(1, Ordering::Relaxed);
            }
            samples.push((started.elapsed().as_secs(), rss_kib(pid)));
        }
        let mut latencies = Vec::new();
        let mut requests = 0;
        for task in tasks {
            let (l, r) = task.await.expect("a connection task");
            latencies.extend(l);
            requests += r;
        }
        let elapsed = started.elapsed().as_secs_f64();
        // After the last flows, a jump past every lifetime and retention (a
        // day at most): nothing may be left alive.
        if let Err(e) = control
            .admin("/clock", Some(json!({"advance": "25h"})), 200)
            .await
        {
            eprintln!("clock: {}", e.0);
            tally.errors.fetch_add(1, Ordering::Relaxed);
        }
        let stats = control
            .call(Method::GET, "/__admin/stats", &[], None, 200)
            .await
            .unwrap_or(Value::Null);
        report(&tally, &latencies, requests, elapsed, &samples, &stats)
    });
    let _ = child.kill();
    let _ = child.wait();
    if !ok {
        std::process::exit(1);
    }
}

/// Prints the figures; `false` if anything is wrong.
fn report(
    tally: &Tally,
    latencies: &[u32],
    requests: u64,
    elapsed: f64,
    samples: &[(u64, u64)],
    stats: &Value,
) -> bool {
    let mut ok = true;
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    println!(
        "soak: {requests} requests in {elapsed:.1} s = {:.0} req/s",
        requests as f64 / elapsed
    );
    println!(
        "latency: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        percentile(&sorted, 0.999),
        percentile(&sorted, 1.0)
    );
    for (i, name) in FLOWS.iter().enumerate() {
        let (s, c) = (
            tally.started[i].load(Ordering::Relaxed),
            tally.completed[i].load(Ordering::Relaxed),
        );
        println!("  {name:<10} {c} of {s} flows completed");
        ok &= s == c && c > 0;
    }
    let errors = tally.errors.load(Ordering::Relaxed);
    println!("errors: {errors}");
    ok &= errors == 0;
    let rss: Vec<String> = samples
        .iter()
        .map(|(t, kib)| format!("{t}s {:.1}", *kib as f64 / 1024.0))
        .collect();
    println!("RSS (MiB) after each sweep: {}", rss.join(", "));
    // Flat: over the second half, no sample grows more than 20% (plus 4 MiB
    // of allocator slack) over the lowest sample of that stretch. The stores'
    // maps keep the capacity of the busiest window between two sweeps, so RSS
    // steps up until that window has come; on a machine that is busy with
    // other work (CI builds the fuzzers meanwhile) it can come late in the
    // first half. A leak keeps growing through the second half.
    let settled: Vec<u64> = samples
        .iter()
        .skip(samples.len() / 2)
        .map(|s| s.1)
        .collect();
    if let (Some(low), Some(last)) = (settled.iter().min(), settled.last()) {
        let flat = *last <= low + low / 5 + 4096;
        println!(
            "RSS flat after the sweeps: {flat} (lowest {:.1} MiB, last {:.1} MiB)",
            *low as f64 / 1024.0,
            *last as f64 / 1024.0
        );
        ok &= flat;
    }
    // Everything the flows made has expired and been swept.
    let live: u64 = ["intergiro", "weavr", "solaris", "thredd", "shine"]
        .iter()
        .flat_map(|p| stats[p].as_object().into_iter().flatten())
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                // What lives as long as the world, like the fixtures' own
                // (Intergiro's individuals never expire).
                "persons" | "cards" | "users" | "clients" | "accounts" | "devices" | "individuals"
            )
        })
        .map(|(_, v)| v.as_u64().unwrap_or(0))
        .sum();
    println!("live objects after the last sweep: {live} ({stats})");
    ok &= live == 0;
    println!("{}", if ok { "soak: OK" } else { "soak: FAILED" });
    ok
}
