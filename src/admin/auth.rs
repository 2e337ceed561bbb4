//! The admin token: with `--admin-token`, the control API and the dashboard
//! answer only requests that carry it. The provider endpoints keep their own
//! credentials and never need it.
//!
//! A script sends `Authorization: Bearer <token>`. A browser opens any
//! dashboard page once with `?token=<token>`; the answer sets an `HttpOnly`,
//! `SameSite=Strict` cookie, so the pages, their forms and their script work
//! from then on and another site cannot make the browser use it. The cookie
//! holds a value derived from the token, never the token itself, so a cookie
//! read off a browser profile does not give away the token.

use hyper::header::{
    HeaderValue, AUTHORIZATION, COOKIE, HOST, ORIGIN, SET_COOKIE, WWW_AUTHENTICATE,
};
use hyper::{HeaderMap, StatusCode};

use crate::http::{self, Response};
use crate::secret;

const COOKIE_NAME: &str = "sca_sandbox_admin";

/// Whether a request may use the control API or the dashboard.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Granted,
    /// Granted by `?token=` on a page: the answer sets the cookie.
    GrantedByLink,
    Denied,
}

/// Checks the bearer header, the cookie and, when `link` is allowed, a
/// `token` query parameter, against the configured token (in constant time).
pub(crate) fn check(token: &str, headers: &HeaderMap, query: Option<&str>, link: bool) -> Access {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(http::bearer_token);
    if bearer.is_some_and(|given| secret::eq(token, given)) {
        return Access::Granted;
    }
    let derived = cookie_value(token);
    let cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE_NAME && secret::eq(&derived, value));
    if cookie {
        return Access::Granted;
    }
    let linked = link
        && form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .any(|(name, value)| name == "token" && secret::eq(token, &value));
    if linked {
        Access::GrantedByLink
    } else {
        Access::Denied
    }
}

/// Why a request from a browser was turned away before its token was read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Foreign {
    /// The `Host` is a name the sandbox does not answer to: a page that
    /// rebinds its own DNS name to 127.0.0.1 to read the control API.
    Host,
    /// An unsafe method sent by another site's page.
    Origin,
}

/// Whether a control API or dashboard request comes from the sandbox's own
/// pages or a script, rather than another site's page in the developer's
/// browser. `Host` must be an IP address, `localhost` (or a name under it),
/// or one of `allowed`: a rebound DNS name always arrives as the attacker's
/// own name. An unsafe method with an `Origin` must come from the origin
/// it is sent to; scripts send none.
pub(crate) fn same_site(
    method: &hyper::Method,
    headers: &HeaderMap,
    allowed: &[String],
) -> Result<(), Foreign> {
    // A request without a Host (HTTP/1.0 allows it) cannot be checked, so
    // it is refused like a foreign one.
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    if !host.is_some_and(|host| known_host(host, allowed)) {
        return Err(Foreign::Host);
    }
    let safe = matches!(
        *method,
        hyper::Method::GET | hyper::Method::HEAD | hyper::Method::OPTIONS
    );
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let same = host.is_some_and(|host| {
        origin.to_str().ok().is_some_and(|origin| {
            ["http://", "https://"]
                .iter()
                .any(|scheme| origin.strip_prefix(scheme) == Some(host))
        })
    });
    if safe || same {
        Ok(())
    } else {
        Err(Foreign::Origin)
    }
}

/// The name part of a `Host` value is an IP address, `localhost`, a name
/// under `.localhost`, or an allowed name (compared without case).
fn known_host(host: &str, allowed: &[String]) -> bool {
    let name = crate::validate::host_name(host);
    // An IPv6 literal: `[::1]:4242`.
    if let Some(v6) = name.strip_prefix('[') {
        return v6
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
    }
    name.parse::<std::net::Ipv4Addr>().is_ok()
        || name == "localhost"
        || name.ends_with(".localhost")
        || allowed.iter().any(|a| a.eq_ignore_ascii_case(&name))
}

/// The refusal of a foreign request: the control API's envelope, or text
/// for a page.
pub(crate) fn foreign(why: &Foreign, page: bool) -> Response {
    let (code, message) = match why {
        Foreign::Host => (
            "forbidden_host",
            "The Host header names neither this sandbox's address nor an allowed host (--allowed-host)",
        ),
        Foreign::Origin => (
            "forbidden_origin",
            "Another site's page may not change this sandbox (the Origin header is foreign)",
        ),
    };
    if page {
        http::with_type(
            StatusCode::FORBIDDEN,
            format!("{message}\n").into(),
            "text/plain; charset=utf-8",
        )
    } else {
        super::error(StatusCode::FORBIDDEN, code, message)
    }
}

/// Remembers the token in the browser that opened a page with `?token=`.
pub(crate) fn set_cookie(res: &mut Response, token: &str) {
    let value = cookie_value(token);
    let cookie = format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(SET_COOKIE, value);
    }
}

/// What the cookie holds: SHA-256 of the token under a label of its own, in
/// hex. One-way, so the cookie cannot be turned back into the bearer token.
fn cookie_value(token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(b"sca-sandbox dashboard cookie\0")
        .chain_update(token.as_bytes())
        .finalize();
    base16ct::lower::encode_string(&digest)
}

/// The refusal: the control API's envelope, or a line of text for a page.
pub(crate) fn denied(page: bool) -> Response {
    let mut res = if page {
        http::with_type(
            StatusCode::UNAUTHORIZED,
            "This dashboard needs the admin token: open it once as /?token=<admin token>\n".into(),
            "text/plain; charset=utf-8",
        )
    } else {
        super::error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The control API needs the admin token: Authorization: Bearer <token>",
        )
    };
    res.headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn hosts_must_be_addresses_localhost_or_allowed() {
        let allowed = ["sandbox.test".to_owned()];
        for host in [
            "127.0.0.1:4242",
            "127.0.0.1",
            "10.1.2.3:80",
            "[::1]:4242",
            "localhost:4242",
            "LOCALHOST",
            "app.localhost:1",
            "sandbox.test:4242",
            "Sandbox.Test.",
        ] {
            assert!(known_host(host, &allowed), "{host}");
        }
        for host in [
            "evil.example:4242",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "[evil]:1",
            "[::1].evil.example",
            "[::1]evil.example:80",
            "[::1]:",
            "sandbox.test.evil",
            "",
        ] {
            assert!(!known_host(host, &allowed), "{host}");
        }
    }

    #[test]
    fn a_request_without_a_host_is_foreign() {
        for method in [hyper::Method::GET, hyper::Method::POST] {
            assert_eq!(
                same_site(&method, &HeaderMap::new(), &[]),
                Err(Foreign::Host)
            );
        }
    }

    #[test]
    fn unsafe_methods_from_another_origin_are_foreign() {
        use hyper::Method;
        let host = ("host", "127.0.0.1:4242");
        let ok = |m: &Method, pairs: &[(&'static str, &str)]| same_site(m, &headers(pairs), &[]);
        assert_eq!(ok(&Method::POST, &[host]), Ok(()));
        assert_eq!(
            ok(&Method::POST, &[host, ("origin", "http://127.0.0.1:4242")]),
            Ok(())
        );
        assert_eq!(
            ok(&Method::POST, &[host, ("origin", "http://127.0.0.1:3000")]),
            Err(Foreign::Origin)
        );
        assert_eq!(
            ok(&Method::POST, &[host, ("origin", "https://evil.example")]),
            Err(Foreign::Origin)
        );
        assert_eq!(
            ok(&Method::PUT, &[host, ("origin", "null")]),
            Err(Foreign::Origin)
        );
        // Reading is left to the Host check and the browser's own rules.
        assert_eq!(
            ok(&Method::GET, &[host, ("origin", "https://evil.example")]),
            Ok(())
        );
        assert_eq!(
            ok(&Method::GET, &[("host", "rebound.example:4242")]),
            Err(Foreign::Host)
        );
    }

    #[test]
    fn the_token_comes_by_header_cookie_or_page_link() {
        let t = "s3cret";
        let none = HeaderMap::new();
        assert_eq!(
            check(
                t,
                &headers(&[("authorization", "Bearer s3cret")]),
                None,
                false
            ),
            Access::Granted
        );
        assert_eq!(
            check(
                t,
                &headers(&[("authorization", "Bearer s3cre")]),
                None,
                false
            ),
            Access::Denied
        );
        // The scheme's name is case-insensitive.
        assert_eq!(
            check(
                t,
                &headers(&[("authorization", "bearer s3cret")]),
                None,
                false
            ),
            Access::Granted
        );
        // The cookie holds the derived value, and the raw token is no cookie.
        let derived = format!("a=b; sca_sandbox_admin={}", cookie_value(t));
        assert_eq!(
            check(t, &headers(&[("cookie", &derived)]), None, false),
            Access::Granted
        );
        assert_eq!(
            check(
                t,
                &headers(&[("cookie", "sca_sandbox_admin=s3cret")]),
                None,
                false
            ),
            Access::Denied
        );
        assert_eq!(
            check(
                t,
                &headers(&[("cookie", "sca_sandbox_admin=x")]),
                None,
                false
            ),
            Access::Denied
        );
        assert_eq!(
            check(t, &none, Some("tenant=a&token=s3cret"), true),
            Access::GrantedByLink
        );
        // A link works only where the caller allows it (pages, not the API).
        assert_eq!(check(t, &none, Some("token=s3cret"), false), Access::Denied);
        assert_eq!(check(t, &none, None, true), Access::Denied);
    }
}
