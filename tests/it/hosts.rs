//! A client keeps the provider's own host name: a request whose `Host` is a
//! provider's API host reaches that provider without the path prefix, as a
//! client with `curl --resolve` or an `/etc/hosts` line sends it.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestSandbox;

/// A client that resolves `hosts` to the sandbox, as `curl --resolve` does.
fn resolving(sandbox: &TestSandbox, hosts: &[&str]) -> (reqwest::Client, u16) {
    let addr: SocketAddr = sandbox
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let mut builder = reqwest::Client::builder().no_proxy();
    for host in hosts {
        builder = builder.resolve(host, addr);
    }
    (builder.build().unwrap(), addr.port())
}

#[tokio::test]
async fn provider_hosts_reach_their_provider_without_the_prefix() {
    let sandbox = TestSandbox::start().await;
    let (client, port) = resolving(
        &sandbox,
        &[
            "sandbox.weavr.io",
            "api.solaris-sandbox.de",
            "oauthuat.globalprocessing.net",
            "api.shine.fr",
            "3d.staging.intergiro.tech",
        ],
    );
    let login = client
        .post(format!(
            "http://sandbox.weavr.io:{port}/multi/login_with_password"
        ))
        .header("api-key", "weavr-sandbox-key")
        .json(&json!({ "email": "buyer@example.com", "password": { "value": "Passw0rd!" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(
        login.headers().contains_key("request-ref"),
        "Weavr answered"
    );

    let token = client
        .post(format!(
            "http://oauthuat.globalprocessing.net:{port}/connect/token"
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "thredd-pm"),
            ("client_secret", "thredd-pm-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);

    let solaris = client
        .post(format!("http://api.solaris-sandbox.de:{port}/oauth/token"))
        .json(&json!({ "grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "solaris-secret" }))
        .send()
        .await
        .unwrap();
    assert_eq!(solaris.status(), StatusCode::CREATED);

    // An unknown path on a provider host answers in that provider's envelope.
    let missing = client
        .get(format!("http://api.shine.fr:{port}/v9/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "not_found", "Shine's envelope: {body}");

    // The path prefixes keep working, whatever the host.
    let prefixed = client
        .post(format!(
            "http://3d.staging.intergiro.tech:{port}/intergiro/v3/auth/login"
        ))
        .json(&json!({ "api_key": "intergiro-sandbox-key" }))
        .send()
        .await
        .unwrap();
    let bare = client
        .post(format!(
            "http://3d.staging.intergiro.tech:{port}/v3/auth/login"
        ))
        .json(&json!({ "api_key": "intergiro-sandbox-key" }))
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.status(), bare.status());
    assert_eq!(bare.status(), StatusCode::OK);

    // On loopback, an unprefixed provider path is still a 404 of the sandbox's.
    let local = sandbox.get("/multi/login_with_password").await;
    assert_eq!(local.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_scenario_adds_hosts_and_the_control_api_lists_them() {
    // A file without fixtures plays in the demo world.
    let yaml = "settings:\n  hosts: { pm-facing.example: thredd }\n";
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_yaml(yaml)).await;
    let map = sandbox.get("/__admin/hosts").await;
    assert_eq!(map.status, StatusCode::OK);
    assert_eq!(map.body["sandbox.weavr.io"], "weavr");
    assert_eq!(map.body["connect.mtls.shine.fr"], "shine");
    assert_eq!(map.body["pm-facing.example"], "thredd");
    let (client, port) = resolving(&sandbox, &["pm-facing.example"]);
    let discovery = client
        .get(format!(
            "http://PM-Facing.example:{port}/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), StatusCode::OK);

    for (yaml, says) in [
        (
            "settings:\n  hosts: { x.example: nobody }\n",
            "names no provider",
        ),
        (
            "settings:\n  hosts: { \"Bad Host\": weavr }\n",
            "not a lower-case host name",
        ),
    ] {
        let refused = sca_sandbox::Scenario::parse("x.yaml", yaml).unwrap_err();
        assert!(refused.to_string().contains(says), "{refused}");
    }
}
