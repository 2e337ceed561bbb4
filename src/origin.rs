//! The scheme, host and port a request came on: every link the sandbox makes
//! to itself for a client (redirect and change-request URLs, discovery,
//! OpenAPI `servers`) starts with them, so the link works however the client
//! reached the sandbox: another port, a provider's host name, HTTPS.

use crate::http::Request;

/// When a request names no usable host (HTTP/1.0, or a `Host` that is not a
/// host name and port), the default address.
const FALLBACK_HOST: &str = "127.0.0.1:4242";

impl Request {
    /// `https://host:port` or `http://host:port`, without a trailing slash.
    pub(crate) fn origin(&self) -> String {
        origin(self.tls, self.header("host"))
    }
}

/// `scheme://host` for a request over TLS or not with this `Host` header. A
/// `Host` of anything but a host name and port is not repeated back: it
/// would end up in a link, or in a page.
pub(crate) fn origin(tls: bool, host: Option<&str>) -> String {
    let host = host
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or(FALLBACK_HOST);
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn the_scheme_follows_the_connection_and_odd_hosts_are_not_repeated() {
        assert_eq!(
            origin(true, Some("3d.staging.intergiro.tech:4243")),
            "https://3d.staging.intergiro.tech:4243"
        );
        assert_eq!(origin(false, Some("[::1]:8080")), "http://[::1]:8080");
        assert_eq!(origin(false, None), "http://127.0.0.1:4242");
        assert_eq!(origin(true, Some("")), "https://127.0.0.1:4242");
        assert_eq!(
            origin(false, Some("evil.example/<script>")),
            "http://127.0.0.1:4242"
        );
        assert_eq!(origin(false, Some("a@b")), "http://127.0.0.1:4242");
    }
}
