//! Tests of the request helpers in `http.rs`.

use super::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Outer {
    name: String,
    inner: Inner,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Inner {
    amount: u64,
}

#[test]
fn segments_drop_empty_parts_at_any_length() {
    for path in [
        "",
        "/",
        "/a",
        "a//b/",
        "/a/b/c/d/e/f/g/h/i/j/k/l",
        "/1/2/3/4/5/6/7/8/9/10/11/12/13//14/",
    ] {
        let expected: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        assert_eq!(&*Segments::of(path), &expected[..], "{path}");
    }
}

#[test]
fn a_wrong_type_names_its_field() {
    let err = decode_json::<Outer>(br#"{"name":"a","inner":{"amount":"x"}}"#).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("inner.amount"));
    assert!(err.message.contains("invalid type"), "{}", err.message);
}

#[test]
fn a_missing_field_is_named_with_its_parent() {
    let err = decode_json::<Outer>(br#"{"name":"a","inner":{}}"#).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("inner.amount"));
    let err = decode_json::<Outer>(br#"{"inner":{"amount":1}}"#).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("name"));
}

#[test]
fn malformed_json_has_no_field_but_a_position() {
    let err = decode_json::<Outer>(b"not json").unwrap_err();
    assert_eq!(err.field, None);
    assert!(err.message.contains("line 1"), "{}", err.message);
}

#[test]
fn only_absolute_web_urls_are_redirect_targets() {
    for ok in [
        "http://127.0.0.1:9000/done",
        "https://example.com",
        "HTTPS://Example.com/a?b=c#d",
    ] {
        assert!(is_web_url(ok), "{ok}");
    }
    for bad in [
        "javascript:alert(1)",
        "data:text/html,<script>",
        "//evil.example",
        "/relative",
        "http://",
        "https:///path",
        "http://a b.com",
        "http://x.com/\r\nSet-Cookie:x",
        "http:\\\\evil.com",
        "ftp://example.com",
    ] {
        assert!(!is_web_url(bad), "{bad}");
    }
}

#[test]
fn bearer_tokens_are_read_case_insensitively() {
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_static("bearer abc"));
    let req = Request {
        method: Method::GET,
        path: "/".into(),
        query: Some("a=1&b=x%20y".into()),
        headers,
        body: Bytes::new(),
        tls: false,
        id: (0, ""),
    };
    assert_eq!(req.bearer(), Some("abc"));
    assert_eq!(req.basic_auth(), None);
    let mut basic = Request {
        headers: HeaderMap::new(),
        ..req
    };
    basic.headers.insert(
        "authorization",
        HeaderValue::from_static("Basic dGhyZWRkLXBtOnNlY3JldA=="),
    );
    assert_eq!(
        basic.basic_auth(),
        Some(("thredd-pm".to_owned(), "secret".to_owned()))
    );
    let req = basic;
    assert_eq!(req.query_param("b").as_deref(), Some("x y"));
    assert_eq!(req.query_param("c"), None);
}
