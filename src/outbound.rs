//! Calls the sandbox makes to others, as a provider calls its integrator
//! (Thredd's NotifyInitiateAction): one POST to an `http://` or `https://`
//! URL, the answer's status, and its body read only up to a bound.
//!
//! Over HTTPS the receiver's certificate must chain to the system's trusted
//! roots or to a CA the scenario names, as the real provider would demand a
//! publicly trusted one; a certificate neither vouches for is refused, and
//! the refusal says so.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, RootCertStore};

/// Where a call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) path: String,
}

impl Target {
    /// `http://host[:port]/path` or `https://…`; no user info, a host, and
    /// a port that is a number.
    pub(crate) fn parse(url: &str) -> Option<Self> {
        let (tls, rest) = match url.split_once("://")? {
            ("http", rest) => (false, rest),
            ("https", rest) => (true, rest),
            _ => return None,
        };
        let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(inside) = authority.strip_prefix('[') {
            let (v6, after) = inside.split_once(']')?;
            let port = match after {
                "" => default_port,
                after => after.strip_prefix(':')?.parse().ok()?,
            };
            (format!("[{v6}]"), port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host.to_owned(), port.parse().ok()?),
                None => (authority.to_owned(), default_port),
            }
        };
        if host.is_empty() || host == "[]" {
            return None;
        }
        let path = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        Some(Self {
            tls,
            host,
            port,
            path,
        })
    }

    fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `localhost` dials `127.0.0.1` without the resolver: an image built
    /// from scratch has no `/etc/hosts` to say so.
    fn dial(&self) -> String {
        let host = if self.host.eq_ignore_ascii_case("localhost") {
            "127.0.0.1"
        } else {
            self.host.trim_start_matches('[').trim_end_matches(']')
        };
        if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Why a call got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The receiver's certificate is not one the sandbox trusts.
    Untrusted(String),
    /// Anything else: no connection, a failed handshake, a closed socket.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Untrusted(why) => write!(f, "the receiver's certificate is not trusted: {why}"),
            Self::Other(why) => f.write_str(why),
        }
    }
}

/// Certificates from PEM text: every `CERTIFICATE` block. None is an error.
pub(crate) fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("no -----BEGIN CERTIFICATE----- block".to_owned());
    }
    Ok(certs)
}

/// The system's trusted roots, read once.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// A receiver's answer: its status, and its body up to the bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// POSTs `body` as JSON to `target` with `headers`, trusting the system's
/// roots and `extra` over HTTPS. The answer's status, and its body read up
/// to `limit` bytes and no further (a receiver that sends without end is cut
/// off with the connection).
pub(crate) async fn post_json(
    target: &Target,
    headers: &[(&str, &str)],
    body: String,
    extra: &[CertificateDer<'static>],
    limit: usize,
) -> Result<Answer, Failure> {
    let other = |what: &str, e: &dyn std::fmt::Display| Failure::Other(format!("{what}: {e}"));
    let tcp = TcpStream::connect(target.dial())
        .await
        .map_err(|e| other("connection failed", &e))?;
    let mut request = hyper::Request::post(&target.path)
        .header("host", target.authority())
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| other("bad request", &e))?;
    if !target.tls {
        return exchange(tcp, request, limit).await;
    }
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    roots.add_parsable_certificates(extra.iter().cloned());
    // The same provider the server uses, named here: the crate builds rustls
    // with `ring` alone, and a process-wide default is never installed.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| other("TLS set-up failed", &e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(target.host.trim_start_matches('[').trim_end_matches(']'))
        .map_err(|e| other("not a host name", &e))?
        .to_owned();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(
            |e| match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(rustls::Error::InvalidCertificate(why)) => {
                    Failure::Untrusted(format!("{why:?}"))
                }
                _ => other("TLS handshake failed", &e),
            },
        )?;
    exchange(tls, request, limit).await
}

async fn exchange<S>(
    stream: S,
    request: hyper::Request<Full<Bytes>>,
    limit: usize,
) -> Result<Answer, Failure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| Failure::Other(format!("HTTP handshake failed: {e}")))?;
    tokio::spawn(conn);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| Failure::Other(format!("the receiver closed the connection: {e}")))?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut kept = Vec::new();
    // Frame by frame, and no further than the bound: dropping the body
    // then closes the connection on a receiver that would send without end.
    while kept.len() < limit {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let room = limit - kept.len();
                    kept.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            _ => break,
        }
    }
    Ok(Answer { status, body: kept })
}

#[cfg(test)]
mod tests {
    use super::Target;

    fn target(tls: bool, host: &str, port: u16, path: &str) -> Option<Target> {
        Some(Target {
            tls,
            host: host.into(),
            port,
            path: path.into(),
        })
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        assert_eq!(
            Target::parse("http://127.0.0.1:9000/thredd"),
            target(false, "127.0.0.1", 9000, "/thredd")
        );
        assert_eq!(
            Target::parse("https://pm.example.com/x?y=1"),
            target(true, "pm.example.com", 443, "/x?y=1")
        );
        assert_eq!(
            Target::parse("http://localhost"),
            target(false, "localhost", 80, "/")
        );
        assert_eq!(
            Target::parse("https://[::1]:8443/n"),
            target(true, "[::1]", 8443, "/n")
        );
        assert_eq!(Target::parse("ftp://pm.example.com/x"), None);
        assert_eq!(Target::parse("http://user@host/x"), None);
        assert_eq!(Target::parse("http:///x"), None);
        assert_eq!(Target::parse("http://host:port/x"), None);
    }

    #[test]
    fn localhost_needs_no_resolver() {
        let t = Target::parse("http://LocalHost:9000/").unwrap();
        assert_eq!(t.dial(), "127.0.0.1:9000");
        assert_eq!(t.authority(), "LocalHost:9000");
        let v6 = Target::parse("https://[::1]:8443/").unwrap();
        assert_eq!(v6.dial(), "[::1]:8443");
    }

    #[test]
    fn a_ca_is_pem_certificates() {
        assert!(super::certificates("not a certificate").is_err());
        assert!(super::certificates("").is_err());
    }
}
