//! An HTTPS client that trusts only the sandbox's CA, for the tests that
//! reach it over TLS.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use reqwest::StatusCode;
use serde_json::Value;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::support::TestSandbox;

/// A fresh data directory for one test.
pub(crate) fn data_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sca-sandbox-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub(crate) async fn tls_sandbox(dir: &std::path::Path) -> TestSandbox {
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    TestSandbox::from(sca_sandbox::Sandbox::builder().tls(local, dir)).await
}

/// One HTTPS request to `addr` for `host`, trusting only `ca`, with a
/// client certificate when given. A body that is not JSON comes back as a
/// string.
pub(crate) async fn https(
    addr: SocketAddr,
    ca: &str,
    host: &'static str,
    client: Option<(&str, &str)>,
    request: hyper::Request<Full<Bytes>>,
) -> Result<(StatusCode, Value), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
    };
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(host).unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let res = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let value = serde_json::from_slice(&body).unwrap_or_else(|_| match body.is_empty() {
        true => Value::Null,
        false => Value::String(String::from_utf8_lossy(&body).into_owned()),
    });
    Ok((status, value))
}

pub(crate) fn request(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> hyper::Request<Full<Bytes>> {
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", host);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let bytes = if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    if !bytes.is_empty() {
        builder = builder.header("content-type", "application/json");
    }
    builder.body(Full::new(bytes)).unwrap()
}
