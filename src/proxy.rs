//! The sandbox as an HTTP forward proxy for the providers' hosts, so that
//! `HTTPS_PROXY=http://127.0.0.1:4242` sends a client's provider traffic to
//! it without touching anything else: a `CONNECT` to a provider host is
//! answered 200 and the tunnel is served as HTTPS with the sandbox's own
//! certificate; a `CONNECT` to any other host is refused.
//!
//! A connection opens with `CONNECT` or it is an ordinary HTTP connection:
//! the first bytes are peeked once per connection, never per request.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::providers::Provider;
use crate::wire::Socket;

const CONNECT: &[u8] = b"CONNECT ";
/// A `CONNECT` head is one line and a few headers.
const MAX_HEAD: usize = 8 * 1024;

/// Whether the connection's first bytes are `CONNECT `, waiting at most
/// `patience` for them (`None`: nothing came, or the peer left, so the
/// connection is closed, as a silent one would be by the header timeout).
pub(crate) async fn opens_with_connect(stream: &TcpStream, patience: Duration) -> Option<bool> {
    let look = async {
        let mut buf = [0u8; 8];
        loop {
            match stream.peek(&mut buf).await {
                Ok(n) if n >= CONNECT.len() => return Some(buf == CONNECT),
                // Fewer bytes that could still spell it: wait for the rest.
                Ok(n) if n > 0 && CONNECT.starts_with(&buf[..n]) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok(0) | Err(_) => return None,
                Ok(_) => return Some(false),
            }
        }
    };
    tokio::time::timeout(patience, look).await.ok().flatten()
}

/// What to do with a `CONNECT`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Serve the tunnel as HTTPS for this provider.
    Intercept(Provider),
    /// Answer this status and JSON, then close.
    Refuse(&'static str, String),
}

/// Reads the `CONNECT` head and decides. The client sends nothing more
/// before the answer, so reading the head consumes nothing of the tunnel.
pub(crate) async fn read_connect(
    socket: &mut Socket,
    hosts: &crate::providers::Hosts,
    tls: bool,
) -> Option<Decision> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || socket.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let line = std::str::from_utf8(&head).ok()?.lines().next()?.to_owned();
    let target = line.split(' ').nth(1)?;
    let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
    Some(match (Provider::for_host(host, hosts), tls) {
        (Some(provider), true) => Decision::Intercept(provider),
        (Some(_), false) => Decision::Refuse(
            "502 Bad Gateway",
            refusal(
                "tls_off",
                "The sandbox intercepts provider hosts over HTTPS: start it with --tls",
            ),
        ),
        (None, _) => Decision::Refuse(
            "403 Forbidden",
            refusal(
                "not_a_provider_host",
                &format!("{host} is not a provider host the sandbox imitates (GET /__admin/hosts)"),
            ),
        ),
    })
}

fn refusal(code: &str, message: &str) -> String {
    serde_json::json!({ "error": { "code": code, "message": message } }).to_string()
}

/// Answers a refused `CONNECT` and closes.
pub(crate) async fn refuse(socket: &mut Socket, status: &str, body: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(answer.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// Opens the tunnel.
pub(crate) async fn accept(socket: &mut Socket) -> bool {
    socket
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_ok()
}
