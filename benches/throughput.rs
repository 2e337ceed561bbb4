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
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;

mod support;

use support::load::{
    bare_server, client_runtime, load, median, spawn_bare, Figures, Req, BARE_ENV,
};
use support::{
    connect, env_or, rss_kib, spawn, spawn_sandbox, SHINE_CREATE_BODY as CREATE_BODY,
    SHINE_FIXTURES,
};

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");

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

fn main() {
    if std::env::var_os(BARE_ENV).is_some() {
        return bare_server();
    }
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let connections: usize = env_or("BENCH_CONNECTIONS", 64);
    let live: u64 = env_or("BENCH_LIVE", 1_000_000);
    let (runtime, pinned) = client_runtime();
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
    let (mut bare, bare_addr) = spawn_bare();
    let (mut sandbox, addr) = spawn_sandbox(BIN, &scenario, &[]);
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
    let (mut sandbox, addr) = spawn_sandbox(BIN, &scenario, &[]);
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
