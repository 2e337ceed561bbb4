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

use hyper::header::{HeaderValue, AUTHORIZATION, COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
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
    digest.iter().map(|b| format!("{b:02x}")).collect()
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
