//! What the benches share: spawning the release binary, reading its memory,
//! keep-alive client connections and knobs from the environment.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The Shine part of a bench scenario's `fixtures`: one client, one user and
/// the recipient of the action request below.
pub(crate) const SHINE_FIXTURES: &str = r#"  shine:
    clients: [{ client_id: shine-client, client_secret: shine-secret }]
    users: [{ uid: user-1, access_token: shine-user-1-token }]
    recipients: [{ id: recipient-1, name: Jane Doe, iban: FR7630006000011234567890189 }]
"#;

/// Creates a Shine action request in the world of [`SHINE_FIXTURES`].
pub(crate) const SHINE_CREATE_PATH: &str = "/shine/v2/authentication/oauth2/action_request";
pub(crate) const SHINE_CREATE_BODY: &str = r#"{"action":"bank:transfers:create","client_id":"shine-client","client_secret":"shine-secret","uid":"user-1","payload":{"amount":234,"bankTransferRecipientId":"recipient-1","uid":"user-1"}}"#;

pub(crate) fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Spawns a server that prints `... http://<addr>` first, and returns its
/// address. The server is pinned to core 1 once it has started.
pub(crate) fn spawn(cmd: &mut Command) -> (Child, SocketAddr) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _ = Command::new("taskset")
        .args(["-a", "-p", "-c", "1", &child.id().to_string()])
        .stdout(Stdio::null())
        .status();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .rsplit("http://")
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (child, addr)
}

/// The sandbox binary `bin` on a free port with `scenario` and `args`,
/// logging warnings only.
pub(crate) fn spawn_sandbox(
    bin: &str,
    scenario: &std::path::Path,
    args: &[&str],
) -> (Child, SocketAddr) {
    spawn(
        Command::new(bin)
            .args(["--port", "0", "--scenario"])
            .arg(scenario)
            .args(args)
            .env("RUST_LOG", "warn"),
    )
}

pub(crate) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub(crate) async fn connect(addr: SocketAddr) -> http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    sender
}
pub(crate) mod load;
