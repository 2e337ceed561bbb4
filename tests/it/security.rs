//! The admin token, and secrets kept out of the logs.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::TestSandbox;

const BIN: &str = env!("CARGO_BIN_EXE_sca-sandbox");
const TOKEN: &str = "admin-s3cret-token";

async fn guarded() -> TestSandbox {
    TestSandbox::from(sca_sandbox::Sandbox::builder().admin_token(TOKEN)).await
}

#[tokio::test]
async fn with_a_token_the_control_api_needs_it() {
    let sandbox = guarded().await;
    let bare = sandbox.get("/__admin/health").await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bare.body["error"]["code"], "unauthorized");
    assert_eq!(bare.headers["www-authenticate"], "Bearer");
    let wrong = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/health"))
                .bearer_auth("admin-s3cret-tokeN"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // A link token is for pages only, never for the API.
    let linked = sandbox.get(&format!("/__admin/health?token={TOKEN}")).await;
    assert_eq!(linked.status, StatusCode::UNAUTHORIZED);
    let right = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/health"))
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(right.status, StatusCode::OK);
    // Tenants' control paths are guarded the same way.
    let tenant = sandbox.post("/t/ci-1/__admin/reset", Value::Null).await;
    assert_eq!(tenant.status, StatusCode::UNAUTHORIZED);

    // The providers keep their own credentials and never need it.
    let created = sandbox.shine_create().await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
}

#[tokio::test]
async fn the_dashboard_takes_the_token_once_and_remembers_it_in_a_cookie() {
    let sandbox = guarded().await;
    let page = |path: &str, cookie: Option<&str>| {
        let mut req = sandbox
            .http
            .get(sandbox.url(path))
            .header("accept", "text/html");
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send()
    };
    let bare = page("/", None).await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert!(bare.text().await.unwrap().contains("?token="));
    let form = sandbox
        .http
        .post(sandbox.url("/actions"))
        .form(&[("action", "advance"), ("by", "5m"), ("back", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNAUTHORIZED);

    // The link sets the cookie and sends the browser to the same page
    // without the token, which leaves the address bar and the history.
    let opened = page(&format!("/?token={TOKEN}"), None).await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()["location"], "/");
    let filtered = page(&format!("/timeline?provider=shine&token={TOKEN}"), None)
        .await
        .unwrap();
    assert_eq!(filtered.status(), StatusCode::SEE_OTHER);
    assert_eq!(filtered.headers()["location"], "/timeline?provider=shine");
    let cookie = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();

    // The cookie opens the pages, the forms and the script's long-poll.
    let timeline = page("/timeline", Some(&pair)).await.unwrap();
    assert_eq!(timeline.status(), StatusCode::OK);
    let pressed = sandbox
        .http
        .post(sandbox.url("/actions"))
        .header("cookie", &pair)
        .form(&[("action", "advance"), ("by", "5m"), ("back", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let events = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/events"))
                .header("cookie", &pair),
        )
        .await;
    assert_eq!(events.status, StatusCode::OK);
    // The static script needs nothing.
    let script = sandbox
        .http
        .get(sandbox.url("/dashboard.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
}

#[test]
fn binding_beyond_loopback_needs_a_token() {
    let out = Command::new(BIN)
        .args(["--host", "0.0.0.0", "--port", "0"])
        .env_remove("SCA_SANDBOX_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--admin-token"));
}

/// The JSON answer of a request that must succeed.
async fn answer(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn secrets_otps_and_tokens_never_reach_the_logs() {
    let mut child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--log-format",
            "json",
            "--admin-token",
            TOKEN,
        ])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first.trim().rsplit(' ').next().unwrap().to_owned();
    // Drain stdout meanwhile so the server never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        rest
    });

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let admin = |path: &str| {
        http.post(format!("{base}/__admin{path}"))
            .bearer_auth(TOKEN)
    };
    let mut secrets: Vec<String> = vec![
        TOKEN.into(),
        "shine-secret".into(),
        "shine-user-1-token".into(),
        "solaris-secret".into(),
        "Passw0rd!".into(),
        "intergiro-sandbox-key".into(),
        "weavr-sandbox-key".into(),
        "thredd-pm-secret".into(),
    ];

    // Shine: a confirmed request's short-lived token, spent on a transfer.
    let payload = json!({"amount": 234, "bankTransferRecipientId": "recipient-1", "uid": "user-1"});
    let created: Value = http
        .post(format!(
            "{base}/shine/v2/authentication/oauth2/action_request"
        ))
        .json(
            &json!({"action": "bank:transfers:create", "client_id": "shine-client",
            "client_secret": "shine-secret", "uid": "user-1", "payload": payload}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["authenticationActionRequestId"]
        .as_str()
        .unwrap();
    admin(&format!("/shine/action_requests/{id}/confirm"))
        .send()
        .await
        .unwrap();
    let polled: Value = http
        .get(format!("{base}/shine/v2/authentication/oauth2/action_request/{id}/poll?client_id=shine-client&client_secret=shine-secret"))
        .send().await.unwrap().json().await.unwrap();
    let short = polled["data"]["token"].as_str().unwrap().to_owned();
    let spent = http
        .post(format!("{base}/shine/v3/bank/transfers"))
        .bearer_auth("shine-user-1-token")
        .header("short-lived-token", &short)
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(spent.status(), StatusCode::CREATED);
    secrets.push(short);

    // Solaris: an access token, and a random SMS code from the outbox.
    let token: Value = http
        .post(format!("{base}/solaris/oauth/token"))
        .json(&json!({"grant_type": "client_credentials", "client_id": "solaris-client", "client_secret": "solaris-secret"}))
        .send().await.unwrap().json().await.unwrap();
    let bearer = token["access_token"].as_str().unwrap().to_owned();
    let challenge = answer(
        http.post(format!("{base}/solaris/v1/mfa/challenges/sms"))
            .bearer_auth(&bearer)
            .json(&json!({"person_id": "person-2"})),
    )
    .await;
    let sms = answer(
        http.get(format!("{base}/__admin/sms?to=%2B4915112345678"))
            .bearer_auth(TOKEN),
    )
    .await;
    let code = sms[0]["code"].as_str().unwrap().to_owned();
    let verified = http
        .put(format!(
            "{base}/solaris/v1/mfa/challenges/sms/{}",
            challenge["id"].as_str().unwrap()
        ))
        .bearer_auth(&bearer)
        .json(&json!({"token": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::NO_CONTENT);
    secrets.extend([bearer, code]);

    // Weavr: a login token.
    let login = answer(
        http.post(format!("{base}/weavr/payment-run/v1/login_with_password"))
            .header("api-key", "weavr-sandbox-key")
            .json(&json!({"email": "buyer@example.com", "password": {"value": "Passw0rd!"}})),
    )
    .await;
    secrets.push(login["token"].as_str().unwrap().to_owned());

    // Intergiro: tokens from the API key.
    let tokens = answer(
        http.post(format!("{base}/intergiro/v3/auth/login"))
            .json(&json!({"api_key": "intergiro-sandbox-key"})),
    )
    .await;
    secrets.push(tokens["access_token"].as_str().unwrap().to_owned());
    secrets.push(tokens["refresh_token"].as_str().unwrap().to_owned());

    // A refused admin call and a dashboard link carrying the token.
    http.get(format!("{base}/__admin/health"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    http.get(format!("{base}/?token={TOKEN}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();
    let mut logs = reader.join().unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();

    // The logs are there (so the check below can fail), and hold none of it.
    assert!(logs.contains("shine.transfer.create"), "{logs}");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "`{secret}` is in the logs:\n{logs}"
        );
    }
}
