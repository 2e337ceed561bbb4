//! The buffered request every handler sees, and the response builders.
//!
//! A request is read once, under the body limit, into a [`Request`]; handlers are
//! plain functions of it. Decoders name the wrong field for the provider's envelope.

use std::borrow::Cow;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Every handler answers a [`Response`] whose [`Body`] is buffered in full.
pub(crate) type Body = Full<Bytes>;
pub(crate) type Response = hyper::Response<Body>;

/// Default maximum request body size: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// A request whose body has been read in full.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: Method,
    /// The path below the provider prefix, e.g. `/v3/bank/transfers`.
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Whether it came over HTTPS: the links the sandbox makes to itself keep the scheme.
    pub(crate) tls: bool,
    /// Its journal `seq` and operation once routed (`(0, "")` before).
    pub(crate) id: (u64, &'static str),
}

/// OAuth 2 client credentials: `grant_type`, and the client's id and secret
/// from the body or from `Authorization: Basic` (which wins).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ClientCredentials {
    #[serde(default)]
    pub(crate) grant_type: Option<String>,
    #[serde(default)]
    pub(crate) client_id: Option<String>,
    #[serde(default)]
    pub(crate) client_secret: Option<String>,
    /// The token to introspect or revoke, where the endpoint takes one.
    #[serde(default)]
    pub(crate) token: Option<String>,
    /// The scope asked for, where the server checks one.
    #[serde(default)]
    pub(crate) scope: Option<String>,
}

/// Why a request body or query could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    /// The offending field as a dotted path (`payload.amount`), when known.
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl DecodeError {
    pub(crate) fn new(field: impl Into<Option<String>>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The message with its field, for envelopes that have only one text slot.
    pub(crate) fn describe(&self) -> String {
        match &self.field {
            Some(field) => format!("{field}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// A path's segments, on the stack for any path a route can match: every
/// request is split once, and a `Vec` for it showed on the hot path.
#[derive(Debug)]
pub(crate) enum Segments<'a> {
    Inline([&'a str; Segments::INLINE], usize),
    Long(Vec<&'a str>),
}

impl<'a> Segments<'a> {
    /// More than any route has.
    const INLINE: usize = 12;

    fn of(path: &'a str) -> Self {
        let mut inline = [""; Self::INLINE];
        let mut len = 0;
        let mut parts = path.split('/').filter(|s| !s.is_empty());
        for part in parts.by_ref() {
            if len == Self::INLINE {
                let mut long = inline.to_vec();
                long.push(part);
                long.extend(parts);
                return Self::Long(long);
            }
            inline[len] = part;
            len += 1;
        }
        Self::Inline(inline, len)
    }
}

impl<'a> std::ops::Deref for Segments<'a> {
    type Target = [&'a str];

    fn deref(&self) -> &[&'a str] {
        match self {
            Self::Inline(parts, len) => &parts[..*len],
            Self::Long(parts) => parts,
        }
    }
}

/// The token of a Bearer `Authorization`; the scheme is case-insensitive (RFC 9110, 11.1).
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl Request {
    /// Path segments, with empty ones (from `//` or a trailing `/`) dropped.
    pub(crate) fn segments(&self) -> Segments<'_> {
        Segments::of(&self.path)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub(crate) fn bearer(&self) -> Option<&str> {
        bearer_token(self.header("authorization")?)
    }

    /// The credentials of an `Authorization: Basic base64(id:secret)` header.
    pub(crate) fn basic_auth(&self) -> Option<(String, String)> {
        let (scheme, encoded) = self.header("authorization")?.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        Some((id.to_owned(), secret.to_owned()))
    }

    /// The first value of a query parameter, percent-decoded.
    pub(crate) fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        let query = self.query.as_deref()?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Every query parameter, percent-decoded, in order.
    pub(crate) fn query_pairs(&self) -> form_urlencoded::Parse<'_> {
        form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
    }

    /// Whether the body is absent or only white space.
    pub(crate) fn body_is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// Decodes the JSON body, naming the field that failed.
    pub(crate) fn json<'a, T: Deserialize<'a>>(&'a self) -> Result<T, DecodeError> {
        if self.body_is_empty() {
            return Err(DecodeError::new(None, "a JSON request body is required"));
        }
        // serde reads a struct from an array of its fields too; every body
        // the sandbox takes is an object, as in the providers' APIs.
        if self.body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(DecodeError::new(
                None,
                "the request body must be a JSON object",
            ));
        }
        decode_json(&self.body)
    }

    /// Decodes an `application/x-www-form-urlencoded` body (or, with
    /// `from_query`, the query string), naming a missing or malformed field.
    pub(crate) fn form<T: DeserializeOwned>(&self, from_query: bool) -> Result<T, DecodeError> {
        let raw: &[u8] = if from_query {
            self.query.as_deref().unwrap_or_default().as_bytes()
        } else {
            &self.body
        };
        serde_urlencoded::from_bytes(raw).map_err(|e| {
            let message = e.to_string();
            DecodeError::new(missing_field(&message).map(str::to_owned), message)
        })
    }

    /// Client credentials from a form body (`grant_type` may also come in the
    /// query), or from a JSON body where the provider accepts one.
    pub(crate) fn client_credentials(
        &self,
        json_allowed: bool,
    ) -> Result<ClientCredentials, DecodeError> {
        let mut creds: ClientCredentials =
            if json_allowed && !self.is_form() && !self.body_is_empty() {
                self.json()?
            } else {
                self.form(false)?
            };
        if creds.grant_type.is_none() {
            creds.grant_type = self.query_param("grant_type").map(|g| g.into_owned());
        }
        if let Some((id, secret)) = self.basic_auth() {
            creds.client_id = Some(id);
            creds.client_secret = Some(secret);
        }
        Ok(creds)
    }

    /// Whether the body is declared as a form rather than JSON.
    pub(crate) fn is_form(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
    }
}

/// `deserialize_with` for a nested struct: serde would also read a struct
/// from an array of its fields, which no API here accepts.
pub(crate) fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::de::Error;
    use serde::Deserialize;
    let value = serde_json::Value::deserialize(d)?;
    if !value.is_object() {
        return Err(D::Error::custom("expected an object"));
    }
    T::deserialize(value).map_err(D::Error::custom)
}

/// `deserialize_with` for a whole number that may be written `1000.0`, which
/// JSON Schema counts as an integer.
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error;
    use serde::Deserialize;
    let n = serde_json::Number::deserialize(d)?;
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..1.8e19).contains(f))
                // In range and whole, checked just above.
                .map(|f| f as u64)
        })
        .ok_or_else(|| D::Error::custom("expected a whole number"))
}

/// Decodes JSON bytes, naming the field that failed.
/// Types may borrow their strings from `body`.
pub(crate) fn decode_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, DecodeError> {
    // The common case pays nothing for field tracking; only a failure is
    // decoded again, with paths, to name the field. The text is checked as
    // UTF-8 once, in one pass, rather than string by string.
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(value) = serde_json::from_str(text) {
            return Ok(value);
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let message = e.inner().to_string();
        DecodeError::new(field_of(e.path(), &message), message)
    })?;
    de.end()
        .map_err(|e| DecodeError::new(None, format!("trailing data: {e}")))?;
    Ok(value)
}

/// The dotted path of the failing field. serde reports a missing field on
/// its parent, so its name is taken from the message.
fn field_of(path: &serde_path_to_error::Path, message: &str) -> Option<String> {
    let parent = path.to_string();
    // `.` is the root, and `?` a place serde could not name (the body is
    // not JSON at all, or breaks off): neither is a field.
    let parent = (parent != "." && !parent.split('.').any(|s| s == "?")).then_some(parent);
    match (parent, missing_field(message)) {
        (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
        (None, Some(name)) => Some(name.to_owned()),
        (parent, None) => parent,
    }
}

/// `deserialize_with` for an optional string, borrowed from the body when it
/// holds no escapes: serde borrows a bare `Cow<str>`, but one inside an
/// `Option` it always copies.
pub(crate) fn optional_borrowed<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'a>>::deserialize(de)?.map(|text| text.0))
}

pub(crate) use crate::validate::is_web_url;

/// Standard base64 (padding optional), for Basic credentials.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64ct::{Base64Unpadded, Encoding};
    Base64Unpadded::decode_vec(text.trim_end_matches('=')).ok()
}

/// The field serde names in a "missing field `x`" message.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// A JSON response. Serialising our own types cannot fail in practice; if it
/// ever does, the client gets a 500 that says so rather than a dropped connection.
/// The bytes of a whole body. Ours are already in memory, so collecting
/// cannot wait or fail.
pub(crate) async fn body_bytes(body: Body) -> Bytes {
    use http_body_util::BodyExt;
    body.collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default()
}

/// An OAuth 2 server's error, as RFC 6749 writes it:
/// `{"error", "error_description"}`.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        &serde_json::json!({ "error": error, "error_description": description }),
    )
}

pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    // Most answers are a few hundred bytes; start big enough for them.
    let mut bytes = Vec::with_capacity(512);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => with_type(status, bytes.into(), "application/json"),
        Err(e) => with_type(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{{\"message\":\"response encoding failed: {e}\"}}").into(),
            "application/json",
        ),
    }
}

/// A response with no body.
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut res = Response::new(Body::default());
    *res.status_mut() = status;
    res
}

/// A response with a body of the given content type.
pub(crate) fn with_type(status: StatusCode, body: Bytes, content_type: &'static str) -> Response {
    let mut res = Response::new(Body::new(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// An HTML page.
pub(crate) fn html(status: StatusCode, page: String) -> Response {
    let mut res = with_type(status, page.into(), "text/html; charset=utf-8");
    // Pages show what a user typed elsewhere; they must not run anything else.
    res.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
        ),
    );
    res
}

/// A redirect; the caller has already validated `location`.
pub(crate) fn redirect(status: StatusCode, location: &str) -> Response {
    let mut res = empty(status);
    if let Ok(value) = HeaderValue::from_str(location) {
        res.headers_mut().insert(LOCATION, value);
    }
    res
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
