//! The scenario library: a folder of scenarios, activation by name per
//! tenant, loading through the control API, and `--watch` reloads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{default_without_users_and_rules, TestSandbox};

/// A fresh folder under the system's temporary directory.
fn folder(files: &[(&str, String)]) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sca-sandbox-library-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// The default world with a description and a Shine lifetime.
fn world(description: &str, ttl: &str) -> String {
    default_without_users_and_rules()
        .replace(
            "action_request_ttl: 3m",
            &format!("action_request_ttl: {ttl}"),
        )
        .replace(
            "description: The demo world.",
            &format!("description: {description}. The demo world."),
        )
}

async fn names(sandbox: &TestSandbox) -> Vec<Value> {
    let info = sandbox.get("/__admin/scenarios").await.body;
    info["library"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect()
}

async fn expires_in(sandbox: &TestSandbox, tenant: Option<&str>) -> i64 {
    let mut req = sandbox
        .http
        .post(sandbox.url("/shine/v2/authentication/oauth2/action_request"))
        .json(&json!({"action": "bank:transfers:create", "client_id": "shine-client",
            "client_secret": "shine-secret", "uid": "user-1", "payload": crate::support::transfer_body()}));
    if let Some(tenant) = tenant {
        req = req.header("x-sandbox-tenant", tenant);
    }
    let data = &sandbox.send(req).await.body["data"];
    let at = |k: &str| chrono_secs(data[k].as_str().unwrap_or_else(|| panic!("{data}")));
    at("expiresAt") - at("createdAt")
}

/// Seconds since the Unix epoch of an RFC 3339 time.
fn chrono_secs(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp()
}

#[tokio::test]
async fn a_folder_fills_the_library_and_tenants_activate_by_name() {
    let dir = folder(&[
        ("default.yaml", world("Folder default", "3m")),
        ("quick.yaml", world("Quick expiry", "1m")),
        ("notes.txt", "not a scenario".to_owned()),
    ]);
    let sandbox = TestSandbox::from(sca_sandbox::Sandbox::builder().scenario_file(&dir)).await;
    assert_eq!(
        names(&sandbox).await,
        vec![json!("default"), json!("quick")]
    );
    let info = sandbox.get("/__admin/scenarios").await.body;
    assert_eq!(info["active"]["library_name"], "default");
    assert!(info["active"]["description"]
        .as_str()
        .unwrap()
        .starts_with("Folder default"));

    let activated = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/scenarios/quick/activate"))
                .header("x-sandbox-tenant", "team-a"),
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{:?}", activated.body);
    assert_eq!(activated.body["active"]["library_name"], "quick");
    assert_eq!(expires_in(&sandbox, Some("team-a")).await, 60);
    assert_eq!(
        expires_in(&sandbox, None).await,
        180,
        "the default tenant keeps its own"
    );

    let unknown = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/scenarios/nope/activate")),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_posted_scenario_with_a_name_joins_the_library() {
    let sandbox = TestSandbox::start().await;
    let yaml = world("Posted", "2m").replace("name: default", "name: posted");
    let answer = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/scenarios"))
                .body(yaml),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        names(&sandbox).await,
        vec![json!("default"), json!("posted")]
    );
    let back = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/scenarios/default/activate")),
        )
        .await;
    assert_eq!(back.body["active"]["name"], "default");
}

#[tokio::test]
async fn one_bad_file_refuses_the_whole_folder_with_its_position() {
    let dir = folder(&[
        ("a.yaml", world("A", "3m")),
        (
            "b.yaml",
            "name: b\nrules:\n  - when: { operation: shine.nope.poll }\n    fault: drop\n"
                .to_owned(),
        ),
    ]);
    let err = sca_sandbox::Sandbox::builder()
        .scenario_file(&dir)
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("b.yaml:3:"), "{text}");
    assert!(text.contains("unknown operation"), "{text}");
}

/// Polls the control API until `check` holds; file changes are real-time
/// events, so this waits on them rather than on the sandbox clock.
async fn wait_for(sandbox: &TestSandbox, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let info = sandbox.get("/__admin/scenarios").await.body;
        if check(&info) {
            return info;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the watcher did not catch up");
}

#[tokio::test]
async fn watch_reloads_a_changed_file_and_reports_a_broken_one() {
    let dir = folder(&[("default.yaml", world("First", "3m"))]);
    let sandbox = TestSandbox::from(
        sca_sandbox::Sandbox::builder()
            .scenario_file(&dir)
            .watch(true),
    )
    .await;
    let file = dir.join("default.yaml");

    std::fs::write(&file, world("Second", "1m")).unwrap();
    wait_for(&sandbox, |i| {
        i["active"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Second")
    })
    .await;
    assert_eq!(
        expires_in(&sandbox, None).await,
        60,
        "the new file's settings"
    );

    std::fs::write(
        &file,
        "name: broken\nsettings:\n  shine: { token_ttl: 5 }\n",
    )
    .unwrap();
    let info = wait_for(&sandbox, |i| !i["errors"].as_array().unwrap().is_empty()).await;
    let error = &info["errors"][0];
    assert_eq!(error["line"], 3, "{error}");
    assert!(
        error["location"]
            .as_str()
            .unwrap()
            .contains("default.yaml:3:"),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("needs a unit"),
        "{error}"
    );
    assert!(info["active"]["description"]
        .as_str()
        .unwrap()
        .starts_with("Second"));

    std::fs::write(&file, world("Third", "2m")).unwrap();
    let info = wait_for(&sandbox, |i| {
        i["active"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Third")
    })
    .await;
    assert_eq!(info["errors"], json!([]), "fixed files clear their error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn watch_keeps_the_old_scenario_while_a_file_is_empty() {
    let dir = folder(&[("default.yaml", world("First", "3m"))]);
    let sandbox = TestSandbox::from(
        sca_sandbox::Sandbox::builder()
            .scenario_file(&dir)
            .watch(true),
    )
    .await;
    let id = sandbox.shine_create_id().await;
    // What an editor leaves for a moment while it saves.
    std::fs::write(dir.join("default.yaml"), "  \n").unwrap();
    let info = wait_for(&sandbox, |i| !i["errors"].as_array().unwrap().is_empty()).await;
    let error = &info["errors"][0];
    assert!(
        error["message"].as_str().unwrap().contains("empty"),
        "{error}"
    );
    assert!(info["active"]["description"]
        .as_str()
        .unwrap()
        .starts_with("First"));
    // The world was not wiped: the request made before is still there.
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_is_reported_without_a_made_up_position() {
    let err = sca_sandbox::Sandbox::builder()
        .scenario_file("/nonexistent/scenario.yaml")
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("/nonexistent/scenario.yaml: cannot read"),
        "{err}"
    );
    assert!(!err.contains(":0:0"), "{err}");
}
