//! A tenant at its cap: the create load on one process, round after round,
//! past the default cap of 100,000 live objects, next to a bare hyper server
//! in the same run. A store at its cap answers the provider's 429 at once,
//! so every round should stay close to bare hyper, and the last close to
//! the first; while it runs, another connection reads `/__admin/health`,
//! whose latency shows whether a full tenant slows the control API.
//!
//! Run with `cargo bench --bench cap`. Knobs (environment): `BENCH_SECONDS`
//! (per round and server, default 5, taken in turns of one second),
//! `BENCH_ROUNDS` (3), `BENCH_CONNECTIONS` (64).
//!
//! Prints figures only, and whether they meet the targets: every round at
//! least 0.8 of bare hyper, the last round at least 0.9 of the first.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;

mod support;

use support::load::{bare_server, client_runtime, interleaved, spawn_bare, Figures, Req, BARE_ENV};
use support::{
    connect, env_or, rss_kib, spawn_sandbox, SHINE_CREATE_BODY, SHINE_CREATE_PATH, SHINE_FIXTURES,
};

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");

/// The default cap; requests live a day, so none finishes and the store
/// stays full once it is.
const SCENARIO: &str = r#"
name: cap
settings:
  shine: { action_request_ttl: 24h, retention: 24h }
fixtures:
"#;

fn main() {
    if std::env::var_os(BARE_ENV).is_some() {
        return bare_server();
    }
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let rounds: usize = env_or("BENCH_ROUNDS", 3);
    let connections: usize = env_or("BENCH_CONNECTIONS", 64);
    let (runtime, pinned) = client_runtime();
    let scenario = std::env::temp_dir().join(format!("sca-bench-cap-{}.yaml", std::process::id()));
    std::fs::write(&scenario, format!("{SCENARIO}{SHINE_FIXTURES}")).unwrap();
    let (mut bare, bare_addr) = spawn_bare();
    let (mut sandbox, addr) = spawn_sandbox(BIN, &scenario, &[]);
    std::thread::sleep(Duration::from_millis(300));

    let create = Req::post(SHINE_CREATE_PATH, SHINE_CREATE_BODY);
    let mut rows = Vec::new();
    for round in 1..=rounds {
        // Bare hyper and the sandbox take turns of a second, so that the
        // machine's slow patches fall on both.
        let (bare_round, round_figures, health) = runtime.block_on(async {
            let watching = Arc::new(AtomicBool::new(true));
            let health = tokio::spawn(health_latencies(addr, watching.clone()));
            let pair = (bare_addr, addr);
            let (bare, figures) = interleaved(pair, connections, seconds, create.clone()).await;
            watching.store(false, Ordering::Relaxed);
            (bare, figures, health.await.unwrap())
        });
        println!("round {round}: bare hyper        {bare_round}");
        println!(
            "round {round}: shine create      {round_figures}  ({:.2} of bare)",
            round_figures.rps / bare_round.rps
        );
        println!(
            "round {round}: /__admin/health   p50 {} µs  p99 {} µs  ({} reads)",
            health.0, health.1, health.2
        );
        rows.push((bare_round, round_figures));
    }
    println!(
        "RSS at the end: {:.1} MiB; {} connections, {seconds} s rounds; {}",
        rss_kib(sandbox.id()) as f64 / 1024.0,
        connections,
        if pinned {
            "load on core 0, servers on core 1"
        } else {
            "not pinned"
        }
    );
    report(&rows);
    for child in [&mut bare, &mut sandbox] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = std::fs::remove_file(&scenario);
}

/// The targets: each round at least 0.8 of bare hyper, the last at least
/// 0.9 of the first.
fn report(rows: &[(Figures, Figures)]) {
    let ratios: Vec<f64> = rows.iter().map(|(bare, s)| s.rps / bare.rps).collect();
    let worst = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let (first, last) = (rows[0].1.rps, rows[rows.len() - 1].1.rps);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "every round >= 0.8 of bare hyper: {} (lowest {worst:.2})",
        verdict(worst >= 0.8)
    );
    println!(
        "last round >= 0.9 of the first: {} ({:.2})",
        verdict(last >= 0.9 * first),
        last / first
    );
}

/// Reads the health endpoint back to back on its own connection while
/// `watching`: (p50 µs, p99 µs, reads).
async fn health_latencies(addr: SocketAddr, watching: Arc<AtomicBool>) -> (u64, u64, usize) {
    let mut sender = connect(addr).await;
    let req = Req::get("/__admin/health");
    let mut latencies = Vec::new();
    while watching.load(Ordering::Relaxed) {
        let sent = Instant::now();
        let Ok(res) = sender.send_request(req.build()).await else {
            break;
        };
        let _ = res.into_body().collect().await;
        latencies.push(sent.elapsed().as_micros() as u64);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    (pct(0.5), pct(0.99), latencies.len())
}
