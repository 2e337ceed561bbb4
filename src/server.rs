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
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
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
use crate::tls::Peer;
use crate::wire::{Kill, Socket, WireBody};

/// How long shutdown waits for open connections.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle keep-alive connection stays open once the server stops,
/// for a request already on its way; a stop stays quick.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(100);
/// A client has this long to send a request's headers (a slow-loris guard).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

impl SandboxBuilder {
    /// Binds, then serves on the current tokio runtime. The port accepts
    /// connections by the time this returns.
    pub async fn start(self) -> Result<RunningSandbox, Error> {
        let (addr, watch) = (self.addr, self.watch);
        let tls_addr = self.tls.as_ref().map(|t| t.addr);
        let sandbox = self.build()?;
        if watch {
            sandbox.spawn_watcher();
        }
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Bind { addr, source })
        };
        let listener = bind(addr).await?;
        let addr = listener.local_addr()?;
        let tls_listener = match tls_addr {
            Some(tls_addr) => Some(bind(tls_addr).await?),
            None => None,
        };
        let tls_addr = tls_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_on(listener, tls_listener, sandbox.clone(), async {
            let _ = stopped.await;
        }));
        Ok(RunningSandbox {
            addr,
            tls_addr,
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
    tls_addr: Option<SocketAddr>,
    sandbox: Sandbox,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSandbox {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where HTTPS listens, with [`SandboxBuilder::tls`].
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
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
    serve_on(listener, None, sandbox, shutdown).await
}

/// A TLS client gets this long to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves HTTP on `listener` and, with TLS set up, HTTPS on `tls_listener`.
async fn serve_on(
    listener: TcpListener,
    tls_listener: Option<TcpListener>,
    sandbox: Sandbox,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let (stop_tx, stopping) = watch::channel(false);
    tokio::spawn(sandbox.tenant().clone().run_sweeper(stopping.clone()));
    let acceptor = sandbox.tls().map(|t| t.acceptor.clone());
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
    let accept_tls = || async {
        match &tls_listener {
            Some(l) => l.accept().await,
            None => std::future::pending().await,
        }
    };

    tokio::pin!(shutdown);
    loop {
        let (accepted, tls) = tokio::select! {
            accepted = listener.accept() => (accepted, None),
            accepted = accept_tls() => (accepted, acceptor.clone()),
            _ = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, _)) => {
                // Small JSON answers must not wait for Nagle.
                let _ = stream.set_nodelay(true);
                let conn = Connection {
                    app: app.clone(),
                    http: http.clone(),
                    watcher: graceful.watcher(),
                };
                tokio::spawn(conn.run(stream, tls));
            }
            Err(e) => {
                // Out of file descriptors, most likely: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    drop(tls_listener);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
    }
    Ok(())
}

/// One accepted connection, served until it closes or a fault kills it.
struct Connection {
    app: Arc<App>,
    http: http1::Builder,
    watcher: hyper_util::server::graceful::Watcher,
}

impl Connection {
    async fn run(self, stream: tokio::net::TcpStream, tls: Option<tokio_rustls::TlsAcceptor>) {
        let kill = Arc::new(Kill::default());
        let connect = match tls {
            Some(_) => false,
            None => match crate::proxy::opens_with_connect(&stream, HEADER_READ_TIMEOUT).await {
                Some(connect) => connect,
                None => return,
            },
        };
        let socket = Socket::new(stream, kill.reset.clone());
        match tls {
            None if connect => self.tunnel(socket, kill).await,
            None => self.serve(socket, Peer::default(), kill).await,
            Some(acceptor) => self.handshake(socket, acceptor, kill).await,
        }
    }

    /// Serves HTTPS on `socket` once the TLS handshake is done.
    async fn handshake(self, socket: Socket, acceptor: tokio_rustls::TlsAcceptor, kill: Arc<Kill>) {
        let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return tracing::debug!(error = %e, "TLS handshake failed"),
            Err(_) => return tracing::debug!("TLS handshake timed out"),
        };
        let session = stream.get_ref().1;
        let peer = Peer {
            tls: true,
            client_certificate: session.peer_certificates().is_some(),
            mutual: session
                .server_name()
                .and_then(crate::providers::mutual_tls_provider),
        };
        self.serve(stream, peer, kill).await;
    }

    /// A `CONNECT`: a provider host's tunnel is served as HTTPS, anything
    /// else refused.
    async fn tunnel(self, mut socket: Socket, kill: Arc<Kill>) {
        let acceptor = self.app.sandbox.tls().map(|t| t.acceptor.clone());
        let world = self.app.sandbox.tenant().world();
        let decision = tokio::time::timeout(
            HEADER_READ_TIMEOUT,
            crate::proxy::read_connect(
                &mut socket,
                &world.scenario.settings.hosts,
                acceptor.is_some(),
            ),
        )
        .await;
        match (decision, acceptor) {
            (Ok(Some(crate::proxy::Decision::Intercept(_))), Some(acceptor))
                if crate::proxy::accept(&mut socket).await =>
            {
                self.handshake(socket, acceptor, kill).await;
            }
            (Ok(Some(crate::proxy::Decision::Refuse(status, body))), _) => {
                crate::proxy::refuse(&mut socket, status, &body).await;
            }
            _ => {}
        }
    }

    async fn serve<S>(self, stream: S, peer: Peer, kill: Arc<Kill>)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let service = {
            let (app, kill) = (self.app.clone(), kill.clone());
            service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let (app, kill) = (app.clone(), kill.clone());
                // Plain HTTP carries no peer: an extension costs an
                // allocation a request, paid only over TLS.
                if peer.tls {
                    req.extensions_mut().insert(peer);
                }
                async move { Ok::<_, Infallible>(respond(&app, req, &kill).await) }
            })
        };
        // The watcher only counts the connection for the drain.
        let _counted = self.watcher;
        let conn = self.http.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(conn);
        let mut stopping = self.app.stopping.clone();
        // A `drop`, `reset` or `hang` fault closes the socket unanswered by
        // dropping the connection (the socket resets if asked to).
        let ended = tokio::select! {
            result = conn.as_mut() => Some(result),
            () = kill.fired() => return,
            _ = stopping.wait_for(|stop| *stop) => None,
        };
        // Stopping: a request already on its way is still read and answered
        // (with `connection: close`) for a moment, then an idle one closes.
        let ended = match ended {
            Some(result) => result,
            None => tokio::select! {
                result = conn.as_mut() => result,
                () = kill.fired() => return,
                () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                    conn.as_mut().graceful_shutdown();
                    tokio::select! {
                        result = conn.as_mut() => result,
                        () = kill.fired() => return,
                    }
                }
            },
        };
        if let Err(e) = ended {
            tracing::debug!(error = %e, "connection ended with an error");
        }
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
    let mut res = match app.dispatch(req).await {
        Outcome::Respond(res) => res.map(WireBody::Whole),
        Outcome::Slow(res, slow, clock) => {
            let (parts, body) = res.into_parts();
            let bytes = crate::http::body_bytes(body).await;
            let stopping = app.stopping.clone();
            hyper::Response::from_parts(parts, WireBody::slow(bytes, slow, clock, stopping))
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
    };
    // Once the server stops, each answer closes its connection behind it.
    if *app.stopping.borrow() {
        res.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    res
}
