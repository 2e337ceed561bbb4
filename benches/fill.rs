//! Stores that fill up: the create rate while a million objects pile up, and
//! the memory ceiling under a create load that never stops.
//!
//! Run with `cargo bench --bench fill`. Knobs (environment): `FILL_OBJECTS`
//! (creates in the curve, default 1000000), `FILL_SUSTAIN` (seconds of each
//! ceiling run, default 60), `FILL_CONNECTIONS` (64), `FILL_TENANTS` (tenants
//! of the third run, default 1024).
//!
//! 1. The curve: the sandbox with `limits.live_objects` raised above the run,
//!    Shine action requests that live a day, created back to back; it prints
//!    the creates completed in each second and the slowest full second as a
//!    share of the first.
//! 2. The ceiling: the sandbox at the default cap (100,000 of a kind per
//!    tenant), half the connections creating Shine action requests and half
//!    logging in to Weavr, for `FILL_SUSTAIN` seconds; it prints RSS each
//!    second, the highest, and how many creates the cap refused (429).
//! 3. The budget: the same load spread over `FILL_TENANTS` tenants, each with
//!    its own cap, so only the process's memory budget (default 1 GiB)
//!    bounds the whole; it prints RSS as the ceiling does.
//!
//! Prints figures only; the README records them.

use std::net::SocketAddr;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

mod support;

use support::{connect, env_or, rss_kib, SHINE_CREATE_BODY, SHINE_CREATE_PATH, SHINE_FIXTURES};

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");

/// Both runs keep every request alive for a day, so nothing expires and the
/// stores only grow; the curve raises the cap above its run.
const SCENARIO: &str = r#"
name: fill
settings:
  limits: { live_objects: LIVE }
  shine: { action_request_ttl: 24h, retention: 24h }
fixtures:
  weavr:
    api_keys: [weavr-sandbox-key]
    users:
      - email: buyer@example.com
        password: Passw0rd!
        mobile: "+447700900123"
"#;

const SHINE_CREATE: (&str, &str) = (SHINE_CREATE_PATH, SHINE_CREATE_BODY);

const WEAVR_LOGIN: (&str, &str) = (
    "/weavr/payment-run/v1/login_with_password",
    r#"{"email":"buyer@example.com","password":{"value":"Passw0rd!"}}"#,
);

fn main() {
    let objects: u64 = env_or("FILL_OBJECTS", 1_000_000);
    let sustain: u64 = env_or("FILL_SUSTAIN", 60);
    let connections: usize = env_or("FILL_CONNECTIONS", 64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let (mut sandbox, addr, file) = spawn_sandbox(objects * 2, &["--memory-budget", "8GiB"]);
    let counts = Arc::new(Counts::default());
    let seconds = runtime.block_on(curve(addr, connections, objects, counts.clone()));
    let rss = rss_kib(sandbox.id());
    stop(&mut sandbox, &file);
    report_curve(objects, &seconds, rss, &counts);

    let label = "ceiling at the default cap".to_owned();
    sustained(&runtime, &label, sustain, |addr, pid, counts| {
        ceiling(addr, connections, sustain, pid, counts)
    });
    let tenants: usize = env_or("FILL_TENANTS", 1024);
    let label = format!("over {tenants} tenants at the default budget");
    sustained(&runtime, &label, sustain, |addr, pid, counts| {
        spread(addr, (connections, tenants), sustain, pid, counts)
    });
}

/// One sustained run on a fresh sandbox at the default cap and budget: what
/// it created and refused, and the highest RSS `run` saw.
fn sustained<F: std::future::Future<Output = u64>>(
    runtime: &tokio::runtime::Runtime,
    label: &str,
    sustain: u64,
    run: impl FnOnce(SocketAddr, u32, Arc<Counts>) -> F,
) {
    let (mut sandbox, addr, file) = spawn_sandbox(100_000, &[]);
    let counts = Arc::new(Counts::default());
    let peak = runtime.block_on(run(addr, sandbox.id(), counts.clone()));
    stop(&mut sandbox, &file);
    println!(
        "{label}: {sustain} s, {} created, {} refused with 429, {} other; highest RSS {:.1} MiB",
        counts.ok.load(Ordering::Relaxed),
        counts.limited.load(Ordering::Relaxed),
        counts.other.load(Ordering::Relaxed),
        peak as f64 / 1024.0
    );
}

fn spawn_sandbox(live: u64, args: &[&str]) -> (Child, SocketAddr, std::path::PathBuf) {
    let file = std::env::temp_dir().join(format!("sca-fill-{}-{live}.yaml", std::process::id()));
    let scenario = SCENARIO.replace("LIVE", &live.to_string());
    std::fs::write(&file, format!("{scenario}{SHINE_FIXTURES}")).unwrap();
    let (child, addr) = support::spawn_sandbox(BIN, &file, args);
    (child, addr, file)
}

fn stop(child: &mut Child, file: &std::path::Path) {
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(file);
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    limited: AtomicU64,
    other: AtomicU64,
}

impl Counts {
    fn count(&self, status: hyper::StatusCode) {
        let slot = match status.as_u16() {
            200..=299 => &self.ok,
            429 => &self.limited,
            _ => &self.other,
        };
        slot.fetch_add(1, Ordering::Relaxed);
    }
}

fn request(path: &str, body: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::builder()
        .method(hyper::Method::POST)
        .uri(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .header("api-key", "weavr-sandbox-key")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// Sends `(path, body)` until `left` runs out or `stop` is set.
async fn worker(
    addr: SocketAddr,
    (path, body): (&'static str, &'static str),
    left: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    counts: Arc<Counts>,
) {
    let mut sender = connect(addr).await;
    while !stop.load(Ordering::Relaxed)
        && left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
            .is_ok()
    {
        let res = sender.send_request(request(path, body)).await.unwrap();
        counts.count(res.status());
        let _ = res.into_body().collect().await;
    }
}

/// Creates `objects` Shine action requests and returns the creates
/// completed in each second (the last one partial).
async fn curve(
    addr: SocketAddr,
    connections: usize,
    objects: u64,
    counts: Arc<Counts>,
) -> Vec<u64> {
    let left = Arc::new(AtomicU64::new(objects));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(worker(
                addr,
                SHINE_CREATE,
                left.clone(),
                stop.clone(),
                counts.clone(),
            ))
        })
        .collect();
    let mut seconds = Vec::new();
    let mut seen = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    while tasks.iter().any(|t| !t.is_finished()) {
        tick.tick().await;
        let done = total(&counts);
        seconds.push(done - seen);
        seen = done;
    }
    for task in tasks {
        task.await.unwrap();
    }
    seconds
}

fn total(counts: &Counts) -> u64 {
    counts.ok.load(Ordering::Relaxed)
        + counts.limited.load(Ordering::Relaxed)
        + counts.other.load(Ordering::Relaxed)
}

fn report_curve(objects: u64, seconds: &[u64], rss: u64, counts: &Counts) {
    let line: Vec<String> = seconds.iter().map(u64::to_string).collect();
    println!("creates per second: {}", line.join(" "));
    // The last second is cut short by the end of the run.
    let full = &seconds[..seconds.len().saturating_sub(1)];
    if let (Some(first), Some(slowest)) = (full.first(), full.iter().min()) {
        println!(
            "{objects} live action requests: first second {first}/s, slowest full second {slowest}/s ({:.0}% of the first), last full second {}/s; RSS {:.1} MiB; {} created, {} refused",
            100.0 * *slowest as f64 / *first as f64,
            full.last().unwrap_or(first),
            rss as f64 / 1024.0,
            counts.ok.load(Ordering::Relaxed),
            counts.limited.load(Ordering::Relaxed) + counts.other.load(Ordering::Relaxed),
        );
    }
}

/// Shine creates spread over `tenants` tenants (`/t/<n>/...`), round robin,
/// for `sustain` seconds; the highest RSS seen (KiB).
async fn spread(
    addr: SocketAddr,
    (connections, tenants): (usize, usize),
    sustain: u64,
    pid: u32,
    counts: Arc<Counts>,
) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (stop, next, counts) = (stop.clone(), next.clone(), counts.clone());
            tokio::spawn(async move {
                let mut sender = connect(addr).await;
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed) % tenants as u64;
                    let path = format!("/t/t{n}{}", SHINE_CREATE.0);
                    let res = sender
                        .send_request(request(&path, SHINE_CREATE.1))
                        .await
                        .unwrap();
                    counts.count(res.status());
                    let _ = res.into_body().collect().await;
                }
            })
        })
        .collect();
    let peak = watch_rss(pid, sustain).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    peak
}

/// Samples RSS each second for `sustain` seconds, prints the samples and
/// returns the highest (KiB).
async fn watch_rss(pid: u32, sustain: u64) -> u64 {
    let started = Instant::now();
    let mut peak = 0;
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(sustain) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = rss_kib(pid);
        peak = peak.max(rss);
        samples.push(format!("{:.0}", rss as f64 / 1024.0));
    }
    println!("RSS each second (MiB): {}", samples.join(" "));
    peak
}

/// Creates at full speed for `sustain` seconds against the default cap and
/// returns the highest RSS seen (KiB).
async fn ceiling(
    addr: SocketAddr,
    connections: usize,
    sustain: u64,
    pid: u32,
    counts: Arc<Counts>,
) -> u64 {
    let left = Arc::new(AtomicU64::new(u64::MAX));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..connections)
        .map(|i| {
            let kind = if i % 2 == 0 {
                SHINE_CREATE
            } else {
                WEAVR_LOGIN
            };
            tokio::spawn(worker(
                addr,
                kind,
                left.clone(),
                stop.clone(),
                counts.clone(),
            ))
        })
        .collect();
    let peak = watch_rss(pid, sustain).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    peak
}
