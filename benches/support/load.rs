//! The load generator the benches share, and the bare hyper server they
//! measure the sandbox against: the same HTTP exchange, nothing else.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use super::connect;

/// Set in the environment of a bench's own executable to make it the bare
/// server instead.
pub(crate) const BARE_ENV: &str = "SCA_BENCH_BARE_SERVER";

/// An answer of the size of a Shine action request's.
const BARE_ANSWER: &str = r#"{"data":{"authenticationActionRequestId":"00000000-0000-4000-8000-000000000000","clientId":"shine-client","action":"bank:transfers:create","payload":{"amount":234,"bankTransferRecipientId":"recipient-1","uid":"user-1"},"uid":"user-1","status":"PENDING","createdAt":"2026-11-23T16:46:33.089192584Z","updatedAt":"2026-11-23T16:46:33.089192584Z","expiresAt":"2026-11-23T16:49:33.089192584Z"},"metadata":{}}"#;

/// The load generator's runtime: two workers, pinned to core 0 when the
/// machine has more than one, while [`super::spawn`] pins every server
/// under test to core 1, so client and server never trade places on a core
/// between runs. Whether it could pin.
pub(crate) fn client_runtime() -> (tokio::runtime::Runtime, bool) {
    let pinned = pin_self_to_core(0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    (runtime, pinned)
}

/// The bare server: this bench's own executable, told so by [`BARE_ENV`].
pub(crate) fn spawn_bare() -> (std::process::Child, SocketAddr) {
    super::spawn(Command::new(std::env::current_exe().unwrap()).env(BARE_ENV, "1"))
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
pub(crate) struct Req {
    method: hyper::Method,
    path: String,
    body: Bytes,
}

impl Req {
    pub(crate) fn get(path: &str) -> Self {
        Self {
            method: hyper::Method::GET,
            path: path.to_owned(),
            body: Bytes::new(),
        }
    }
    pub(crate) fn post(path: &str, body: &str) -> Self {
        Self {
            method: hyper::Method::POST,
            path: path.to_owned(),
            body: Bytes::from(body.to_owned()),
        }
    }
    pub(crate) fn build(&self) -> hyper::Request<Full<Bytes>> {
        hyper::Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .body(Full::new(self.body.clone()))
            .unwrap()
    }
}

/// The round with the median throughput.
pub(crate) fn median(mut rounds: Vec<Figures>) -> Figures {
    rounds.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    rounds.swap_remove(rounds.len() / 2)
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Figures {
    pub(crate) rps: f64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
    /// Answers 429: the provider's rate limit, which a store at its bound
    /// gives.
    pub(crate) limited: u64,
    /// Every other answer that is not a success, and failed exchanges.
    pub(crate) errors: u64,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>9.0} req/s  p50 {:>5} µs  p99 {:>6} µs  errors {}",
            self.rps, self.p50_us, self.p99_us, self.errors
        )?;
        if self.limited > 0 {
            write!(f, "  429 {}", self.limited)?;
        }
        Ok(())
    }
}

/// What one load phase saw: each exchange's latency and how it ended.
#[derive(Default)]
pub(crate) struct Samples {
    latencies: Vec<u64>,
    limited: u64,
    errors: u64,
    seconds: f64,
}

impl Samples {
    fn add(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.limited += other.limited;
        self.errors += other.errors;
        self.seconds += other.seconds;
    }

    pub(crate) fn figures(mut self) -> Figures {
        self.latencies.sort_unstable();
        let all = &self.latencies;
        let pct = |p: f64| {
            all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        Figures {
            rps: all.len() as f64 / self.seconds,
            p50_us: pct(0.50),
            p99_us: pct(0.99),
            limited: self.limited,
            errors: self.errors,
        }
    }
}

/// `connections` keep-alive connections sending `req` back to back for `seconds`.
pub(crate) async fn load(addr: SocketAddr, connections: usize, seconds: u64, req: Req) -> Figures {
    run(addr, connections, Duration::from_secs(seconds), req)
        .await
        .figures()
}

/// Loads `a` and `b` in turns of one second for `seconds` each, so that a
/// slow patch of the machine falls on both alike.
pub(crate) async fn interleaved(
    (a, b): (SocketAddr, SocketAddr),
    connections: usize,
    seconds: u64,
    req: Req,
) -> (Figures, Figures) {
    let (mut on_a, mut on_b) = (Samples::default(), Samples::default());
    for _ in 0..seconds.max(1) {
        on_a.add(run(a, connections, Duration::from_secs(1), req.clone()).await);
        on_b.add(run(b, connections, Duration::from_secs(1), req.clone()).await);
    }
    (on_a.figures(), on_b.figures())
}

async fn run(addr: SocketAddr, connections: usize, length: Duration, req: Req) -> Samples {
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let limited = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (req, stop) = (req.clone(), stop.clone());
        let (errors, limited) = (errors.clone(), limited.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            let mut latencies = Vec::with_capacity(1 << 16);
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                match sender.send_request(req.build()).await {
                    Ok(res) => {
                        let status = res.status();
                        let _ = res.into_body().collect().await;
                        if status == hyper::StatusCode::TOO_MANY_REQUESTS {
                            limited.fetch_add(1, Ordering::Relaxed);
                        } else if !status.is_success() {
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
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Samples {
        latencies,
        limited: limited.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The comparison point: hyper 1 answering a small JSON body, nothing else,
/// on the same runtime shape as the sandbox binary. Prints its address as
/// the sandbox does.
pub(crate) fn bare_server() {
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
