//! The links the sandbox makes to itself keep the scheme, host and port the
//! request came on. Over HTTPS, by each provider's own host name, a client
//! that trusts only the sandbox's CA follows every such link as it is:
//! Intergiro's consent page, Solaris' change-request link, Thredd's discovery
//! and the OpenAPI document's `servers`. Weavr and Shine answer no links to
//! the sandbox itself.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::tls_support::{data_dir, https, request, tls_sandbox};

/// Where a link leads: the host (for SNI and `Host`) and the path with its
/// query. The link must be `https://<host>:<port>/...` on the sandbox's
/// HTTPS port; the host names resolve nowhere, so the client dials `addr`.
fn split(link: &str, port: u16) -> (&'static str, String) {
    let rest = link
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("not an https link: {link}"));
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, at) = authority.rsplit_once(':').expect("a port");
    assert_eq!(at, port.to_string(), "{link}");
    (String::from(host).leak(), path.to_owned())
}

struct Client {
    addr: SocketAddr,
    ca: String,
}

impl Client {
    async fn call(
        &self,
        method: &str,
        host: &'static str,
        path: &str,
        auth: &[(&str, &str)],
        body: Value,
    ) -> (StatusCode, Value) {
        let authority = format!("{host}:{}", self.addr.port());
        let req = request(method, &authority, path, auth, body);
        https(self.addr, &self.ca, host, None, req).await.unwrap()
    }

    async fn follow(
        &self,
        method: &str,
        link: &str,
        auth: &[(&str, &str)],
        body: Value,
    ) -> (StatusCode, Value) {
        let (host, path) = split(link, self.addr.port());
        self.call(method, host, &path, auth, body).await
    }
}

async fn client(name: &str) -> (crate::support::TestSandbox, Client, std::path::PathBuf) {
    let dir = data_dir(name);
    let sandbox = tls_sandbox(&dir).await;
    let ca = sandbox.get_text("/__admin/ca.pem").await;
    let addr = sandbox.server.tls_addr().expect("HTTPS listens");
    (sandbox, Client { addr, ca }, dir)
}

#[tokio::test]
async fn intergiro_s_redirect_url_opens_the_consent_page_over_https() {
    let (_sandbox, client, dir) = client("links-intergiro").await;
    let host = "3d.staging.intergiro.tech";
    let (status, login) = client
        .call(
            "POST",
            host,
            "/v3/auth/login",
            &[],
            json!({"api_key": "intergiro-sandbox-key"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let bearer = format!("Bearer {}", login["access_token"].as_str().unwrap());
    let auth = [("authorization", bearer.as_str())];
    let (status, held) = client
        .call(
            "POST",
            host,
            "/v3/transactions/pay",
            &auth,
            json!({"request_id": "links-1", "account_id": "acc-1", "amount": 100,
            "counterparty": {"name": "Jane Doe", "account": {"iban": "DE89370400440532013000"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{held}");
    let consent = held["consent"]["id"].as_str().unwrap();
    let (status, method) = client
        .call(
            "POST",
            host,
            &format!("/v3/consents/{consent}"),
            &auth,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{method}");
    let link = method["method"]["redirect_url"].as_str().unwrap();
    assert!(link.starts_with(&format!("https://{host}:")), "{link}");
    let (status, page) = client.follow("GET", link, &[], Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.as_str().unwrap().contains("<form"), "{page}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn solaris_change_request_links_are_absolute_and_callable_over_https() {
    let (_sandbox, client, dir) = client("links-solaris").await;
    let host = "api.solaris-sandbox.de";
    let (status, token) = client
        .call("POST", host, "/oauth/token", &[], json!({"grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "solaris-secret"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let auth = [("authorization", bearer.as_str())];
    let (status, held) = client
        .call("POST", host, "/v1/persons/person-1/accounts/account-1/transactions/sepa_credit_transfer", &auth, json!({
            "amount": {"value": 100, "unit": "cents", "currency": "EUR"},
            "recipient_name": "Jane Doe", "recipient_iban": "DE89370400440532013000", "description": "Invoice 42"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{held}");
    let link = held["url"].as_str().unwrap();
    assert!(link.starts_with(&format!("https://{host}:")), "{link}");
    let (status, authorized) = client
        .follow(
            "POST",
            link,
            &auth,
            json!({"person_id": "person-1", "delivery_method": "mobile_number"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{authorized}");
    assert_eq!(authorized["status"], "CONFIRMATION_REQUIRED");
    assert_eq!(authorized["url"], link);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn thredd_s_discovery_points_at_endpoints_that_answer_over_https() {
    let (_sandbox, client, dir) = client("links-thredd").await;
    let host = "oauthuat.globalprocessing.net";
    let (status, discovery) = client
        .call(
            "GET",
            host,
            "/.well-known/openid-configuration",
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{discovery}");
    let (status, jwks) = client
        .follow(
            "GET",
            discovery["jwks_uri"].as_str().unwrap(),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{jwks}");
    assert!(jwks["keys"].is_array(), "{jwks}");
    for endpoint in ["token_endpoint", "introspection_endpoint"] {
        let link = discovery[endpoint].as_str().unwrap();
        // Without credentials: the endpoint is there and refuses, in
        // IdentityServer's words.
        let (status, refused) = client.follow("POST", link, &[], Value::Null).await;
        assert!(
            status.is_client_error() && status != StatusCode::NOT_FOUND,
            "{endpoint}: {status} {refused}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_openapi_document_names_the_https_origin_it_was_read_on() {
    let (_sandbox, client, dir) = client("links-openapi").await;
    let (status, document) = client
        .call(
            "GET",
            "localhost",
            "/__admin/openapi.json",
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let server = document["servers"][0]["url"].as_str().unwrap();
    assert_eq!(server, format!("https://localhost:{}", client.addr.port()));
    let (status, health) = client
        .follow("GET", &format!("{server}/__admin/health"), &[], Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{health}");
    let _ = std::fs::remove_dir_all(&dir);
}
