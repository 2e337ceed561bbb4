//! The admin token: with `--admin-token`, the control API and the dashboard
//! answer only requests that carry it. The provider endpoints keep their own
//! credentials and never need it.
//!
//! A script sends `Authorization: Bearer <token>`. A browser opens any
//! dashboard page once with `?token=<token>`; the answer sets an `HttpOnly`,
//! `SameSite=Strict` cookie, so the pages, their forms and their script work
//! from then on and another site cannot make the browser use it.

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
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|given| secret::eq(token, given.trim())) {
        return Access::Granted;
    }
    let cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE_NAME && secret::eq(token, value));
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
    let cookie = format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(SET_COOKIE, value);
    }
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
        assert_eq!(
            check(
                t,
                &headers(&[("cookie", "a=b; sca_sandbox_admin=s3cret")]),
                None,
                false
            ),
            Access::Granted
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
