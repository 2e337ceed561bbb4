//! Entry points for the fuzz targets in `fuzz/`. Hidden from the docs and not
//! a stable API: they reach past the server to the decoding a request goes
//! through, so a fuzzer can run thousands of inputs a second and see a panic
//! where the router would have turned it into a 500.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{HeaderMap, Method};

use crate::clock::Clock;
use crate::http::Request;
use crate::providers::{with_provider, Provider, ProviderApi, RouteMatch, RouteTable, SignIn};
use crate::scenario::Scenario;
use crate::state::World;

/// One documented operation of a provider: method and concrete path below
/// its prefix.
type Operation = (Method, String);

/// The provider's operations, from the OpenAPI description, with path
/// parameters set to the demo world's ids so requests reach the handlers.
fn operations(provider: Provider) -> &'static [Operation] {
    static ALL: OnceLock<HashMap<Provider, Vec<Operation>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let mut found: HashMap<Provider, Vec<Operation>> = HashMap::new();
        let doc = crate::admin::openapi::document();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let mut segments = path.split('/').filter(|s| !s.is_empty());
            let Some(p) = segments.next().and_then(Provider::from_name) else {
                continue;
            };
            let concrete: String = segments
                .map(|s| match s {
                    "{person_id}" => "/person-1".to_owned(),
                    "{account_id}" => "/account-1".to_owned(),
                    "{channel}" => "/SMS".to_owned(),
                    s if s.starts_with('{') => "/x1".to_owned(),
                    s => format!("/{s}"),
                })
                .collect();
            for method in ["get", "post", "put", "patch", "delete"] {
                if item[method].is_object() {
                    let m =
                        Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or_default();
                    found.entry(p).or_default().push((m, concrete.clone()));
                }
            }
        }
        found
    });
    all.get(&provider).map_or(&[], Vec::as_slice)
}

/// Runs one fuzz input against `provider` in a fresh demo world: the first
/// byte picks a documented operation, the rest is the body (and, for a
/// `GET`, the query string). The caller is signed in as the demo user, so
/// the input reaches the decoding behind authentication. Returns the status.
pub fn provider_request(provider: Provider, data: &[u8]) -> u16 {
    let ops = operations(provider);
    let (Some(first), false) = (data.first(), ops.is_empty()) else {
        return 0;
    };
    let (method, path) = &ops[usize::from(*first) % ops.len()];
    // Some operations start background work (Thredd's delivery); they get a
    // runtime, as in the server.
    runtime().block_on(async {
        let world = world();
        let mut headers = credentials(provider, &world).await;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = Bytes::copy_from_slice(&data[1..]);
        let query = (method == Method::GET).then(|| String::from_utf8_lossy(&body).into_owned());
        let req = request(method.clone(), path, query, headers, body);
        with_provider!(provider, P => handle::<P>(&req, &world))
            .map_or(404, |res| res.status().as_u16())
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime")
    })
}

/// Verifies a device signature (ECDSA P-256, hex DER) from fuzz input: a hex public key, a
/// hex DER signature and the signed text, separated by newlines.
pub fn signature(data: &[u8]) -> bool {
    use crate::crypto;
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (key, signature, message) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let _ = crypto::from_hex(signature);
    match crypto::parse_key(key) {
        Ok(key) => crypto::verify(&key, message.as_bytes(), signature).is_ok(),
        Err(e) => e.describe().is_empty(),
    }
}

fn world() -> Arc<World> {
    static SCENARIO: OnceLock<Arc<Scenario>> = OnceLock::new();
    let scenario = SCENARIO.get_or_init(|| Arc::new(Scenario::embedded_default()));
    let clock = Clock::new();
    clock.set_frozen(true);
    World::new(scenario.clone(), clock, "".into(), Default::default())
}

fn request(
    method: Method,
    path: &str,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Request {
    Request {
        method,
        path: path.to_owned(),
        query,
        headers,
        body,
        tls: false,
        id: (0, ""),
    }
}

/// Routes and runs a request as the router does, but lets a panic through.
fn handle<P: ProviderApi>(req: &Request, world: &World) -> Option<crate::http::Response> {
    let segments = req.segments();
    match P::Route::parse(&req.method, &segments) {
        RouteMatch::Found(route) => {
            Some(P::handle(route, req, world).unwrap_or_else(|e| P::render(e, world)))
        }
        _ => None,
    }
}

/// Signs in as the demo world's user with the provider's own sign-in steps,
/// and returns the headers that carry the credentials.
async fn credentials(provider: Provider, world: &World) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for step in provider.sign_in() {
        match *step {
            SignIn::Header(name, value) => {
                headers.insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            SignIn::Bearer(token) => bearer(&mut headers, token),
            SignIn::Token {
                path,
                body,
                form,
                field,
            } => {
                let mut call_headers = headers.clone();
                if form {
                    call_headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-www-form-urlencoded"),
                    );
                }
                let answer = post(provider, world, path, call_headers, body).await;
                let token = answer.as_ref().and_then(|a| a[field].as_str());
                bearer(&mut headers, token.unwrap_or_default());
            }
            SignIn::Post(path, body) => {
                post(provider, world, path, headers.clone(), body).await;
            }
        }
    }
    headers
}

fn bearer(headers: &mut HeaderMap, token: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
        headers.insert(AUTHORIZATION, value);
    }
}

/// `POST path` to the provider, and its answer as JSON.
async fn post(
    provider: Provider,
    world: &World,
    path: &str,
    headers: HeaderMap,
    body: &str,
) -> Option<serde_json::Value> {
    let req = request(
        Method::POST,
        path,
        None,
        headers,
        Bytes::copy_from_slice(body.as_bytes()),
    );
    let res = with_provider!(provider, P => handle::<P>(&req, world))?;
    let body = crate::http::body_bytes(res.into_body()).await;
    serde_json::from_slice(&body).ok()
}

/// What the fuzz input for `method path` with `body` answers, signed in.
#[cfg(test)]
fn answer_to(provider: Provider, method: Method, path: &str, body: &str) -> u16 {
    let i = operations(provider)
        .iter()
        .position(|(m, p)| *m == method && p == path)
        .unwrap_or_else(|| panic!("{method} {path} is not documented"));
    let mut data = vec![u8::try_from(i).unwrap_or(u8::MAX)];
    data.extend_from_slice(body.as_bytes());
    provider_request(provider, &data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Operation as _;

    /// The fuzz operations, routed, cover every operation id a provider
    /// answers: the description lists them all.
    #[test]
    fn every_provider_has_its_operations() {
        for p in Provider::ALL {
            let reached: std::collections::BTreeSet<&str> = operations(*p)
                .iter()
                .filter_map(|(method, path)| {
                    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                    with_provider!(*p, P => match <P as ProviderApi>::Route::parse(method, &segments) {
                        RouteMatch::Found(route) => Some(route.operation()),
                        _ => None,
                    })
                })
                .collect();
            let answered: std::collections::BTreeSet<&str> =
                p.operations().iter().copied().collect();
            assert_eq!(reached, answered, "{p:?}");
        }
    }

    /// The fuzz targets sign in as the demo user: their input reaches past
    /// authentication.
    #[test]
    fn inputs_reach_past_authentication() {
        for p in Provider::ALL {
            let (method, path, body, status) = p.signed_in_probe();
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(answer_to(*p, method, path, body), status, "{p:?} {path}");
        }
    }

    #[test]
    fn signatures_are_refused_or_verified() {
        assert!(!signature(b""));
        assert!(!signature(b"04zz\n30\nhello"));
    }
}
