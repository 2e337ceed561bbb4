//! The accept loop and graceful shutdown.
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

use atomic_waker::AtomicWaker;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::router::{App, Outcome, MAX_HEAD_BYTES};
use crate::sandbox::Sandbox;
use crate::wire::{Socket, WireBody};

/// How long shutdown waits for open connections.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// A client has this long to send a request's headers (a slow-loris guard).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
