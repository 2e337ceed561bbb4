//! What rules see of a request: its method, path, headers, query and body.
//!
//! The body is parsed only when a rule asks for a field, and at most once: a
//! request that no rule inspects pays nothing. JSON bodies are read as JSON,
//! form bodies as an object of strings, so `/client_id` works for both.

use std::borrow::Cow;
use std::cell::OnceCell;

use hyper::HeaderMap;
use serde_json::{Map, Value};

/// A borrowed view of one request (or of an outgoing call's body).
pub(crate) struct Probe<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    headers: Option<&'a HeaderMap>,
    query: Option<&'a str>,
    raw: &'a [u8],
    parsed: OnceCell<Option<Value>>,
}

impl<'a> Probe<'a> {
    pub(crate) fn new(
        method: &'a str,
        path: &'a str,
        headers: Option<&'a HeaderMap>,
        query: Option<&'a str>,
        body: &'a [u8],
    ) -> Self {
        Self {
            method,
            path,
            headers,
            query,
            raw: body,
            parsed: OnceCell::new(),
        }
    }

    /// The body as a JSON value; `None` when it is empty or neither JSON nor a form.
    pub(crate) fn body(&self) -> Option<&Value> {
        self.parsed
            .get_or_init(|| {
                if self.raw.iter().all(u8::is_ascii_whitespace) {
                    return None;
                }
                serde_json::from_slice(self.raw).ok().or_else(|| {
                    let text = std::str::from_utf8(self.raw).ok()?;
                    if !text.contains('=') {
                        return None;
                    }
                    let form: Map<String, Value> = form_urlencoded::parse(text.as_bytes())
                        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                        .collect();
                    Some(Value::Object(form))
                })
            })
            .as_ref()
    }

    /// The value at a JSON pointer (`/amount/value`) of the body.
    pub(crate) fn pointer(&self, pointer: &str) -> Option<&Value> {
        self.body()?.pointer(pointer)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers?.get(name)?.to_str().ok()
    }

    pub(crate) fn query(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query?.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v): (Cow<'_, str>, Cow<'_, str>)| v.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_and_form_bodies_are_both_fields() {
        let probe = Probe::new("POST", "/x", None, None, br#"{"a":{"b":[1,2]}}"#);
        assert_eq!(probe.pointer("/a/b/1"), Some(&json!(2)));
        let form = Probe::new(
            "POST",
            "/x",
            None,
            None,
            b"grant_type=client_credentials&x=1",
        );
        assert_eq!(
            form.pointer("/grant_type"),
            Some(&json!("client_credentials"))
        );
        assert_eq!(Probe::new("GET", "/", None, None, b"").body(), None);
        assert_eq!(Probe::new("GET", "/", None, None, b"garbage").body(), None);
    }

    #[test]
    fn headers_and_query_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert("x-case", "late".parse().unwrap());
        let probe = Probe::new("GET", "/", Some(&headers), Some("a=1&b=two%20words"), b"");
        assert_eq!(probe.header("x-case"), Some("late"));
        assert_eq!(probe.query("b").as_deref(), Some("two words"));
        assert_eq!(probe.query("c"), None);
    }
}
