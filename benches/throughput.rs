//! Start-up, throughput and memory of the release binary, next to a bare hyper
//! server measured the same way on the same machine.
//!
//! Run with `cargo bench --bench throughput`. Knobs (environment):
//! `BENCH_SECONDS` (per load phase, default 5), `BENCH_CONNECTIONS` (64),
//! `BENCH_LIVE` (live action requests for the memory figure, default 1000000),
//! `BENCH_TARGET` (load a running server with creates only, for profiling).
//!
//! The load generator runs in this process and the servers in their own, so
//! both share the machine's cores the same way for the sandbox and the bare
//! server; the ratio between them is the figure to watch.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

mod support;

use support::{connect, env_or, rss_kib, spawn, SHINE_CREATE_BODY as CREATE_BODY, SHINE_FIXTURES};

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");
const BARE_ENV: &str = "SCA_BENCH_BARE_SERVER";

/// Requests live a day, so the memory figure counts live ones; the cap is
/// raised above the largest `BENCH_LIVE` it is run with.
const SETTINGS: &str = r#"
name: bench
settings:
  limits: { live_objects: 10000000 }
  shine: { action_request_ttl: 24h, retention: 24h }
fixtures:
"#;

/// A poll request line of the same length as the sandbox's.
const POLL_SHAPE: &str = "/shine/v2/authentication/oauth2/action_request/00000000-0000-4000-8000-000000000000/poll?client_id=shine-client&client_secret=shine-secret";

/// An answer of the size of an action request's.
const BARE_ANSWER: &str = r#"{"data":{"authenticationActionRequestId":"00000000-0000-4000-8000-000000000000","clientId":"shine-client","action":"bank:transfers:create","payload":{"amount":234,"bankTransferRecipientId":"recipient-1","uid":"user-1"},"uid":"user-1","status":"PENDING","createdAt":"2026-11-23T16:46:33.089192584Z","updatedAt":"2026-11-23T16:46:33.089192584Z","expiresAt":"2026-11-23T16:49:33.089192584Z"},"metadata":{}}"#;

fn main() {
    if std::env::var_os(BARE_ENV).is_some() {
        return bare_server();
    }
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let connections: usize = env_or("BENCH_CONNECTIONS", 64);
    let live: u64 = env_or("BENCH_LIVE", 1_000_000);
    // The load generator keeps to core 0 and every server under test to core
    // 1, so client and server never trade places on a core between runs and
    // the figures measure what one core of server can do.
    let pinned = pin_self_to_core(0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // `BENCH_TARGET=127.0.0.1:4242` loads a server that is already running
    // (for profiling it), with action-request creates only.
    if let Ok(target) = std::env::var("BENCH_TARGET") {
        let req = Req::post(
            "/shine/v2/authentication/oauth2/action_request",
            CREATE_BODY,
        );
        let figures = runtime.block_on(load(target.parse().unwrap(), connections, seconds, req));
        println!("shine.action_request.create against {target}: {figures}");
        return;
    }
    let scenario = std::env::temp_dir().join(format!("sca-bench-{}.yaml", std::process::id()));
    std::fs::write(&scenario, format!("{SETTINGS}{SHINE_FIXTURES}")).unwrap();

    // Start-up to ready: spawn until the listening line, which is printed once
    // the port is bound (connections queue from then on), averaged.
    let mut startups = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let (mut child, _) = spawn(Command::new(BIN).args(["--port", "0"]));
        startups.push(started.elapsed());
        let _ = child.kill();
        let _ = child.wait();
    }
    startups.sort();
    println!(
        "startup-to-ready: median {:.2} ms, min {:.2} ms (20 runs, embedded scenario)",
        ms(startups[10]),
        ms(startups[0])
    );

    // The bare server does the same HTTP exchange as the sandbox: it reads the
    // same request and answers a JSON body of the same size. Both run at once
    // and take turns, round after round, so a slow patch of the machine hits
    // both; the medians are compared.
    let rounds: usize = env_or("BENCH_ROUNDS", 3);
    let create_req = Req::post(
        "/shine/v2/authentication/oauth2/action_request",
        CREATE_BODY,
    );
    let (mut bare, bare_addr) =
        spawn(Command::new(std::env::current_exe().unwrap()).env(BARE_ENV, "1"));
    let (mut sandbox, addr) = spawn_sandbox(&scenario);
    let pid = sandbox.id();
    // Start-up allocates and frees (parsing the scenario); idle is after that.
    std::thread::sleep(Duration::from_millis(500));
    let idle = rss_kib(pid);
    println!("idle RSS: {:.1} MiB", idle as f64 / 1024.0);
    let id = runtime.block_on(create_one(addr));
    let poll_path = format!(
        "/shine/v2/authentication/oauth2/action_request/{id}/poll?client_id=shine-client&client_secret=shine-secret"
    );
    let mut results: [Vec<Figures>; 4] = Default::default();
    for _ in 0..rounds {
        let phases = [
            (bare_addr, create_req.clone()),
            (addr, create_req.clone()),
            (bare_addr, Req::get(POLL_SHAPE)),
            (addr, Req::get(&poll_path)),
        ];
        for (slot, (target, req)) in results.iter_mut().zip(phases) {
            slot.push(runtime.block_on(load(target, connections, seconds, req)));
        }
    }
    let [bare_create, create, bare_poll, poll] = results.map(median);
    println!("bare hyper, create-shaped:      {bare_create}");
    println!(
        "shine.action_request.create:    {create}  ({:.0}% of bare)",
        100.0 * create.rps / bare_create.rps
    );
    println!("bare hyper, poll-shaped:        {bare_poll}");
    println!(
        "shine.action_request.poll:      {poll}  ({:.0}% of bare)",
        100.0 * poll.rps / bare_poll.rps
    );
    println!(
        "(medians of {rounds} interleaved rounds of {seconds} s, {connections} keep-alive connections; {})",
        if pinned { "load on core 0, server on core 1" } else { "not pinned" }
    );
    let _ = bare.kill();
    let _ = bare.wait();

    let _ = sandbox.kill();
    let _ = sandbox.wait();

    // Memory: a fresh process, idle, then holding `live` pending requests.
    let (mut sandbox, addr) = spawn_sandbox(&scenario);
    let pid = sandbox.id();
    runtime.block_on(create_one(addr));
    let base = rss_kib(pid);
    let started = Instant::now();
    runtime.block_on(create_n(addr, connections, live));
    let filled = rss_kib(pid);
    let per = (filled.saturating_sub(base)) as f64 * 1024.0 / live as f64;
    println!(
        "{live} live action requests in {:.1} s: RSS {:.1} MiB -> {:.1} MiB, {per:.0} bytes each",
        started.elapsed().as_secs_f64(),
        base as f64 / 1024.0,
        filled as f64 / 1024.0
    );
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let _ = std::fs::remove_file(&scenario);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The sandbox binary on a free port with the bench scenario.
fn spawn_sandbox(scenario: &std::path::Path) -> (Child, SocketAddr) {
    spawn(
        Command::new(BIN)
            .args(["--port", "0", "--scenario"])
            .arg(scenario)
            .env("RUST_LOG", "warn"),
    )
}

/// Pins this process (and the threads it starts later) to `core`, when the
/// machine has `taskset` and more than one core.
fn pin_self_to_core(core: usize) -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores > 1
        && Command::new("taskset")
            .args([
                "-p",
                "-c",
                &core.to_string(),
                &std::process::id().to_string(),
            ])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

#[derive(Clone)]
struct Req {
    method: hyper::Method,
    path: String,
    body: Bytes,
}

impl Req {
    fn get(path: &str) -> Self {
        Self {
            method: hyper::Method::GET,
            path: path.to_owned(),
            body: Bytes::new(),
        }
    }
    fn post(path: &str, body: &str) -> Self {
        Self {
            method: hyper::Method::POST,
            path: path.to_owned(),
            body: Bytes::from(body.to_owned()),
        }
    }
    fn build(&self) -> hyper::Request<Full<Bytes>> {
        hyper::Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .header("host", "bench")
            .header("content-type", "application/json")
            .body(Full::new(self.body.clone()))
            .unwrap()
    }
}

/// The round with the median throughput.
fn median(mut rounds: Vec<Figures>) -> Figures {
    rounds.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    rounds.swap_remove(rounds.len() / 2)
}

#[derive(Default)]
struct Figures {
    rps: f64,
    p50_us: u64,
    p99_us: u64,
    errors: u64,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>9.0} req/s  p50 {:>5} µs  p99 {:>6} µs  errors {}",
            self.rps, self.p50_us, self.p99_us, self.errors
        )
    }
}

/// `connections` keep-alive connections sending `req` back to back for `seconds`.
async fn load(addr: SocketAddr, connections: usize, seconds: u64, req: Req) -> Figures {
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (req, stop, errors) = (req.clone(), stop.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut latencies = Vec::with_capacity(1 << 16);
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                match sender.send_request(req.build()).await {
                    Ok(res) => {
                        let ok = res.status().is_success();
                        let _ = res.into_body().collect().await;
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        sender = connect(addr).await;
                    }
                }
                latencies.push(sent.elapsed().as_micros() as u64);
            }
            latencies
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Figures {
        rps: all.len() as f64 / elapsed,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

async fn post(addr: SocketAddr, path: &str, body: &str) -> Bytes {
    let mut sender = connect(addr).await;
    let res = sender
        .send_request(Req::post(path, body).build())
        .await
        .unwrap();
    res.into_body().collect().await.unwrap().to_bytes()
}

async fn create_one(addr: SocketAddr) -> String {
    let body = post(
        addr,
        "/shine/v2/authentication/oauth2/action_request",
        CREATE_BODY,
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["data"]["authenticationActionRequestId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates `n` action requests over `connections` connections.
async fn create_n(addr: SocketAddr, connections: usize, n: u64) {
    let left = Arc::new(AtomicU64::new(n));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let left = left.clone();
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let req = Req::post(
                "/shine/v2/authentication/oauth2/action_request",
                CREATE_BODY,
            );
            while left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
                .is_ok()
            {
                let res = sender.send_request(req.build()).await.unwrap();
                assert!(res.status().is_success());
                let _ = res.into_body().collect().await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// The comparison point: hyper 1 answering a small JSON body, nothing else,
/// on the same runtime shape as the sandbox binary.
fn bare_server() {
    use hyper::server::conn::http1 as server;
    use hyper::service::service_fn;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("bare hyper on http://{}", listener.local_addr().unwrap());
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async {
                    let _ = req.into_body().collect().await;
                    let mut res =
                        hyper::Response::new(Full::new(Bytes::from_static(BARE_ANSWER.as_bytes())));
                    res.headers_mut().insert(
                        "content-type",
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, std::convert::Infallible>(res)
                });
                let _ = server::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
