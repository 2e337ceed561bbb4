//! HTTPS beside HTTP: a client that trusts only the sandbox's CA reaches a
//! provider by its own host name over TLS; the host where the provider asks
//! for mutual TLS refuses a connection without a client certificate, and the
//! handshake refuses one the CA did not sign; the CA outlives a restart.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::support::TestSandbox;
use crate::tls_support::{data_dir, https, request, tls_sandbox};

#[tokio::test]
async fn a_client_trusting_the_ca_reaches_weavr_by_its_own_name() {
    let dir = data_dir("weavr");
    let sandbox = tls_sandbox(&dir).await;
    let ca = sandbox.get_text("/__admin/ca.pem").await;
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    let addr = sandbox.server.tls_addr().expect("HTTPS listens");
    let login = request(
        "POST",
        "sandbox.weavr.io",
        "/multi/login_with_password",
        &[("api-key", "weavr-sandbox-key")],
        json!({ "email": "buyer@example.com", "password": { "value": "Passw0rd!" } }),
    );
    let (status, body) = https(addr, &ca, "sandbox.weavr.io", None, login)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["token"].is_string());
    // The prefixes work over HTTPS too, under localhost.
    let health = request("GET", "localhost", "/__admin/health", &[], Value::Null);
    let (status, _) = https(addr, &ca, "localhost", None, health).await.unwrap();
    assert_eq!(status, StatusCode::OK);

    // A second sandbox on the same directory keeps the CA.
    let again = tls_sandbox(&dir).await;
    assert_eq!(again.get_text("/__admin/ca.pem").await, ca);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn shine_s_mutual_tls_host_wants_a_certificate_the_ca_signed() {
    let dir = data_dir("mtls");
    let sandbox = tls_sandbox(&dir).await;
    let ca = sandbox.get_text("/__admin/ca.pem").await;
    let addr = sandbox.server.tls_addr().unwrap();
    let read = || {
        request(
            "GET",
            "connect.mtls.shine.fr",
            "/bank/transfers/00000000-0000-0000-0000-000000000000",
            &[("authorization", "Bearer shine-user-1-token")],
            Value::Null,
        )
    };
    let (status, body) = https(addr, &ca, "connect.mtls.shine.fr", None, read())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["code"], "client_certificate_required",
        "Shine's envelope: {body}"
    );

    let issued = sandbox
        .post("/__admin/client-certificates", json!({ "name": "partner" }))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED);
    let (cert, key) = (
        issued.body["certificate"].as_str().unwrap().to_owned(),
        issued.body["private_key"].as_str().unwrap().to_owned(),
    );
    let (status, body) = https(
        addr,
        &ca,
        "connect.mtls.shine.fr",
        Some((&cert, &key)),
        read(),
    )
    .await
    .unwrap();
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "past mutual TLS, the transfer is unknown: {body}"
    );

    // A certificate from another CA fails the handshake.
    let other = data_dir("mtls-foreign");
    let stranger = tls_sandbox(&other).await;
    let foreign = stranger
        .post("/__admin/client-certificates", json!({}))
        .await;
    let refused = https(
        addr,
        &ca,
        "connect.mtls.shine.fr",
        Some((
            foreign.body["certificate"].as_str().unwrap(),
            foreign.body["private_key"].as_str().unwrap(),
        )),
        read(),
    )
    .await;
    assert!(refused.is_err(), "{refused:?}");
    // The API host of the same provider asks for no certificate.
    let api = request(
        "GET",
        "api.shine.fr",
        "/v3/bank/transfers/00000000-0000-0000-0000-000000000000",
        &[("authorization", "Bearer shine-user-1-token")],
        Value::Null,
    );
    let (status, _) = https(addr, &ca, "api.shine.fr", None, api).await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

#[tokio::test]
async fn mutual_tls_is_decided_by_the_connection_not_by_the_path_taken() {
    let dir = data_dir("mtls-walk");
    let sandbox = tls_sandbox(&dir).await;
    let ca = sandbox.get_text("/__admin/ca.pem").await;
    let addr = sandbox.server.tls_addr().unwrap();
    let auth = [("authorization", "Bearer shine-user-1-token")];
    let transfer = "bank/transfers/00000000-0000-0000-0000-000000000000";
    // The mutual-TLS name in the handshake, the API host in the request.
    let by_sni = request(
        "GET",
        "api.shine.fr",
        &format!("/v3/{transfer}"),
        &auth,
        Value::Null,
    );
    // The API host in the handshake, the mutual-TLS name in Host, and the
    // path prefix that reaches Shine from any host.
    let by_host = request(
        "GET",
        "connect.mtls.shine.fr",
        &format!("/shine/{transfer}"),
        &auth,
        Value::Null,
    );
    for (sni, req) in [("connect.mtls.shine.fr", by_sni), ("api.shine.fr", by_host)] {
        let (status, body) = https(addr, &ca, sni, None, req).await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{sni}: {body}");
        assert_eq!(body["code"], "client_certificate_required", "{sni}: {body}");
    }
    // Even the control API is closed on such a connection.
    let admin = request("GET", "127.0.0.1", "/__admin/health", &[], Value::Null);
    let (status, _) = https(addr, &ca, "connect.mtls.shine.fr", None, admin)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_tls_the_certificate_endpoints_say_so() {
    let sandbox = TestSandbox::start().await;
    let ca = sandbox.get("/__admin/ca.pem").await;
    assert_eq!(ca.status, StatusCode::NOT_FOUND);
    assert_eq!(ca.body["error"]["code"], "tls_off", "{:?}", ca.body);
    assert!(sandbox.server.tls_addr().is_none());
}

/// Sends `CONNECT target` on a fresh connection; the answer's status line
/// and the stream, for what follows in the tunnel.
async fn connect(addr: SocketAddr, target: &str) -> (String, tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        answer.push(byte[0]);
    }
    let text = String::from_utf8(answer).unwrap();
    (text.lines().next().unwrap_or_default().to_owned(), tcp)
}

#[tokio::test]
async fn as_a_proxy_it_intercepts_provider_hosts_and_refuses_the_rest() {
    let dir = data_dir("proxy");
    let sandbox = tls_sandbox(&dir).await;
    let ca = sandbox.get_text("/__admin/ca.pem").await;
    let addr = sandbox.server.addr();

    let (status, tcp) = connect(addr, "api.solaris-sandbox.de:443").await;
    assert_eq!(status, "HTTP/1.1 200 Connection Established");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("api.solaris-sandbox.de").unwrap(), tcp)
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let token = request(
        "POST",
        "api.solaris-sandbox.de",
        "/oauth/token",
        &[],
        json!({ "grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "solaris-secret" }),
    );
    let res = sender.send_request(token).await.unwrap();
    assert_eq!(res.status().as_u16(), 201);

    let (status, _) = connect(addr, "example.com:443").await;
    assert!(status.starts_with("HTTP/1.1 403"), "{status}");

    // Ordinary requests on the same port are untouched.
    assert_eq!(sandbox.get("/__admin/health").await.status, StatusCode::OK);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_tls_a_provider_tunnel_is_refused_with_the_reason() {
    let sandbox = TestSandbox::start().await;
    let (status, _) = connect(sandbox.server.addr(), "sandbox.weavr.io:443").await;
    assert!(status.starts_with("HTTP/1.1 502"), "{status}");
}

#[tokio::test]
async fn every_provider_answers_over_https_by_its_own_host() {
    let dir = data_dir("each");
    let sandbox = tls_sandbox(&dir).await;
    let ca = sandbox.get_text("/__admin/ca.pem").await;
    let addr = sandbox.server.tls_addr().unwrap();
    // An unknown path on each provider's host: the provider's own 404.
    for (host, code) in [
        ("3d.intergiro.com", "not found"),
        ("sandbox.weavr.io", "NOT_FOUND"),
        ("api.solarisbank.de", "not_found"),
        ("api.shine.fr", "not_found"),
        ("p1ists.globalprocessing.net", "not_found"),
    ] {
        let probe = request("GET", host, "/no/such/path", &[], Value::Null);
        let (status, body) = https(addr, &ca, host, None, probe).await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND, "{host}: {body}");
        assert!(body.to_string().contains(code), "{host}: {body}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn mutual_tls_hosts_can_take_any_client_certificate() {
    let dir = data_dir("any");
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let builder = sca_sandbox::Sandbox::builder()
        .tls(local, &dir)
        .tls_any_client_certificate(true);
    let sandbox = TestSandbox::from(builder).await;
    let ca = sandbox.get_text("/__admin/ca.pem").await;
    let other = data_dir("any-foreign");
    let stranger = tls_sandbox(&other).await;
    let foreign = stranger
        .post("/__admin/client-certificates", json!({}))
        .await;
    let read = request(
        "GET",
        "connect.mtls.shine.fr",
        "/bank/transfers/00000000-0000-0000-0000-000000000000",
        &[("authorization", "Bearer shine-user-1-token")],
        Value::Null,
    );
    let (status, body) = https(
        sandbox.server.tls_addr().unwrap(),
        &ca,
        "connect.mtls.shine.fr",
        Some((
            foreign.body["certificate"].as_str().unwrap(),
            foreign.body["private_key"].as_str().unwrap(),
        )),
        read,
    )
    .await
    .unwrap();
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a foreign certificate passes: {body}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}
