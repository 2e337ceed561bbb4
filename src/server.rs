//! The accept loop and graceful shutdown, and [`SandboxBuilder::start`],
//! which binds and serves a sandbox: the one way the binary and an embedding
//! start serving.
//!
//! [`serve`] takes a listener that is already bound and any shutdown future, so
//! the binary binds the configured address and passes Ctrl-C/SIGTERM, while tests
//! bind port 0 and pass a channel. On shutdown it stops accepting, lets requests
//! in flight finish (waking scenario delays and hangs so they end at once), and
//! waits for connections to close, for at most [`DRAIN_TIMEOUT`].

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use crate::clock::Clock;
use atomic_waker::AtomicWaker;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::router::{App, Outcome, MAX_HEAD_BYTES};
use crate::sandbox::{Sandbox, SandboxBuilder};
use crate::wire::{Socket, WireBody};

/// How long shutdown waits for open connections.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// A client has this long to send a request's headers (a slow-loris guard).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

impl SandboxBuilder {
    /// Binds, then serves on the current tokio runtime. The port accepts
    /// connections by the time this returns.
    pub async fn start(self) -> Result<RunningSandbox, Error> {
        let (addr, watch) = (self.addr, self.watch);
        let sandbox = self.build()?;
        if watch {
            sandbox.spawn_watcher();
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, sandbox.clone(), async {
            let _ = stopped.await;
        }));
        Ok(RunningSandbox {
            addr,
            sandbox,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A sandbox serving HTTP. Dropping it stops the server without waiting;
/// [`RunningSandbox::shutdown`] stops it and waits for the drain.
#[must_use = "dropping the handle stops the server at once"]
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    sandbox: Sandbox,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSandbox {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, with no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL joined with `path`, which starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The sandbox clock.
    pub fn clock(&self) -> Clock {
        self.sandbox.clock()
    }

    /// The state handle.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Serves until `signal` resolves (or the server fails), then stops as
    /// [`RunningSandbox::shutdown`] does; the server's own failure, if any.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> std::io::Result<()> {
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        let early = tokio::select! {
            () = signal => None,
            ended = &mut task => Some(ended),
        };
        let ended = match early {
            Some(ended) => ended,
            None => {
                if let Some(stop) = self.stop.take() {
                    let _ = stop.send(());
                }
                task.await
            }
        };
        ended.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `sandbox` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    sandbox: Sandbox,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let (stop_tx, stopping) = watch::channel(false);
    tokio::spawn(sandbox.tenant().clone().run_sweeper(stopping.clone()));
    let app = Arc::new(App { sandbox, stopping });
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        // Answers are a few hundred bytes: copying the body behind the head
        // and sending one buffer costs less than a gathered write.
        .writev(false)
        .keep_alive(true);

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small JSON answers must not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(Kill::default());
                    let stream = Socket::new(stream, kill.reset.clone());
                    let service = {
                        let (app, kill) = (app.clone(), kill.clone());
                        service_fn(move |req| {
                            let (app, kill) = (app.clone(), kill.clone());
                            async move { Ok::<_, Infallible>(respond(&app, req, &kill).await) }
                        })
                    };
                    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        tokio::select! {
                            result = conn => if let Err(e) = result {
                                tracing::debug!(error = %e, "connection ended with an error");
                            },
                            // A `drop`, `reset` or `hang` fault: close the socket
                            // unanswered, by dropping the connection (and with it
                            // the socket, which resets if asked to).
                            () = kill.fired() => {}
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors, most likely: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
    }
    Ok(())
}

/// Asks a connection task to close its socket unanswered.
#[derive(Debug, Default)]
struct Kill {
    fired: AtomicBool,
    /// The connection task's waker. Not a `Notify`: the connection task
    /// polls this on every wake-up, several times a request, and an atomic
    /// waker registers with one exchange where a `Notify` takes a lock.
    waker: AtomicWaker,
    /// Close with a reset rather than an orderly FIN; the socket reads it
    /// when it is dropped.
    reset: Arc<AtomicBool>,
}

impl Kill {
    fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Ready once [`Kill::fire`] has been called.
    fn fired(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            if self.fired.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            // Fired between the check and the registration: the wake went
            // to the old waker, so look again.
            if self.fired.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// Turns the router's outcome into what hyper sees. `drop`, `reset` and
/// `hang` never return a response: they ask the connection task to close the
/// socket (at once, or when the server stops) and wait to be dropped with it.
async fn respond(
    app: &App,
    req: hyper::Request<hyper::body::Incoming>,
    kill: &Kill,
) -> hyper::Response<WireBody> {
    match app.dispatch(req).await {
        Outcome::Respond(res) => res.map(WireBody::Whole),
        Outcome::Slow(res, slow, clock) => {
            let (parts, body) = res.into_parts();
            let bytes = crate::http::body_bytes(body).await;
            hyper::Response::from_parts(parts, WireBody::slow(bytes, slow, clock))
        }
        Outcome::Drop => {
            kill.fire();
            std::future::pending().await
        }
        Outcome::Reset => {
            kill.reset.store(true, Ordering::Release);
            kill.fire();
            std::future::pending().await
        }
        Outcome::Hang(_in_flight) => {
            let mut stopping = app.stopping.clone();
            let _ = stopping.wait_for(|stop| *stop).await;
            kill.fire();
            std::future::pending().await
        }
    }
}
