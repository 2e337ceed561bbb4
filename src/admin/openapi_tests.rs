//! The description and the routers agree: every operation in the document
//! is routed, with the operation id it claims, and every routed operation
//! and method is in the document.

use std::collections::BTreeSet;

use hyper::Method;
use serde_json::{json, Value};

use super::document;
use crate::admin::routes::{Route as AdminRoute, OPERATIONS as ADMIN_OPERATIONS};
use crate::dashboard::Page;
use crate::providers::{
    all_operations, control_operations, with_provider, Operation, Provider, RouteMatch, RouteTable,
};

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// What the routers make of a method and a path: the operation id, or the
/// reason there is none.
fn routed(method: &Method, path: &str) -> Result<&'static str, String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let first = segments.first().copied().unwrap_or("");
    if first == "__admin" {
        return AdminRoute::parse(method, &segments[1..])
            .map(|r| r.operation())
            .map_err(|allow| format!("control API: {allow:?}"));
    }
    if let Some(provider) = Provider::from_name(first) {
        return with_provider!(provider, P => {
            match <P as crate::providers::ProviderApi>::Route::parse(method, &segments[1..]) {
                RouteMatch::Found(route) => Ok(route.operation()),
                other => Err(format!("{other:?}")),
            }
        });
    }
    Page::parse(method, first)
        .map(|page| page.operation())
        .map_err(|allow| format!("dashboard: allows {allow}"))
}

/// A documented path with every `{parameter}` filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "x1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The spec's operations: path, method, concrete path and operation id.
fn operations(doc: &Value) -> Vec<(String, &'static str, String, Option<String>)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = concrete(path);
        for method in METHODS {
            let op = &item[*method];
            if op.is_object() {
                let id = op["x-sandbox-operation"].as_str().map(str::to_owned);
                found.push((path.clone(), *method, concrete.clone(), id));
            }
        }
    }
    found
}

#[test]
fn the_document_is_openapi_3_1_with_unique_operation_ids() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for method in METHODS {
            if let Some(id) = item[*method]["operationId"].as_str() {
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            }
        }
    }
    assert!(ids.len() > 90, "{} operations", ids.len());
}

#[test]
fn every_operation_in_the_document_is_routed_with_its_id() {
    for (path, method, concrete, id) in operations(document()) {
        let id = id.unwrap_or_else(|| panic!("{method} {path} has no x-sandbox-operation"));
        let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        match routed(&verb, &concrete) {
            Ok(op) => assert_eq!(op, id, "{method} {path}"),
            Err(why) => panic!("{method} {path} is in the document but not routed: {why}"),
        }
    }
}

#[test]
fn every_method_a_documented_path_accepts_is_documented() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = concrete(path);
        for method in METHODS {
            let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            if routed(&verb, &concrete).is_ok() {
                assert!(
                    item[*method].is_object(),
                    "{method} {path} is routed but not in the document"
                );
            }
        }
    }
}

#[test]
fn every_routed_operation_is_in_the_document() {
    let documented: BTreeSet<String> = operations(document())
        .into_iter()
        .filter_map(|(_, _, _, id)| id)
        .collect();
    // The outbound calls are made by the sandbox; nobody routes to them.
    let outbound: BTreeSet<&str> = Provider::ALL
        .iter()
        .flat_map(|p| p.outbound_operations().iter().copied())
        .collect();
    let routed = all_operations()
        .filter(|op| !outbound.contains(op))
        .chain(ADMIN_OPERATIONS.iter().copied())
        .chain(control_operations())
        .chain(<Page as Operation>::ALL.iter().copied());
    for op in routed {
        assert!(
            documented.contains(op),
            "{op} is routed but not in the document"
        );
    }
}

#[test]
fn the_served_document_is_the_json_of_the_file() {
    let res = super::serve(false, Some("127.0.0.1:4242"));
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
}

#[test]
fn the_served_servers_are_the_requests_scheme_and_host_and_nothing_else() {
    let served = |tls, host| {
        let body = futures_body(super::serve(tls, host));
        let mut document: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let servers = document["servers"].take();
        // Everything but `servers` is the file's.
        let mut file = super::document().clone();
        file["servers"] = serde_json::Value::Null;
        assert_eq!(document, file);
        servers
    };
    assert_eq!(
        served(true, Some("sandbox.weavr.io:4243")),
        json!([{ "url": "https://sandbox.weavr.io:4243" }])
    );
    assert_eq!(
        served(false, Some("[::1]:8080")),
        json!([{ "url": "http://[::1]:8080" }])
    );
    // A Host that is no host name is not echoed.
    assert_eq!(
        served(false, Some("a\"b")),
        json!([{ "url": "http://127.0.0.1:4242" }])
    );
    assert_eq!(
        served(false, None),
        json!([{ "url": "http://127.0.0.1:4242" }])
    );
}

/// The bytes of a response built in memory.
fn futures_body(res: crate::http::Response) -> bytes::Bytes {
    use http_body_util::BodyExt;
    let collected = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(res.into_body().collect());
    match collected {
        Ok(c) => c.to_bytes(),
        Err(never) => match never {},
    }
}
