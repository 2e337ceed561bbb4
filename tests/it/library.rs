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
    assert!(runs(&info, "Folder default"));

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
    let answer = sandbox.load_scenario(yaml).await;
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

/// A sandbox on `dir` with `--watch`.
async fn watching(dir: &std::path::Path) -> TestSandbox {
    TestSandbox::from(
        sca_sandbox::Sandbox::builder()
            .scenario_file(dir)
            .watch(true),
    )
    .await
}

/// Whether the active scenario's description starts with `prefix`.
fn runs(info: &Value, prefix: &str) -> bool {
    info["active"]["description"]
        .as_str()
        .is_some_and(|d| d.starts_with(prefix))
}

#[tokio::test]
async fn watch_reloads_a_changed_file_and_reports_a_broken_one() {
    let dir = folder(&[("default.yaml", world("First", "3m"))]);
    let sandbox = watching(&dir).await;
    let file = dir.join("default.yaml");

    std::fs::write(&file, world("Second", "1m")).unwrap();
    wait_for(&sandbox, |i| runs(i, "Second")).await;
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
    assert!(runs(&info, "Second"));

    std::fs::write(&file, world("Third", "2m")).unwrap();
    let info = wait_for(&sandbox, |i| runs(i, "Third")).await;
    assert_eq!(info["errors"], json!([]), "fixed files clear their error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn watch_keeps_the_old_scenario_while_a_file_is_empty() {
    let dir = folder(&[("default.yaml", world("First", "3m"))]);
    let sandbox = watching(&dir).await;
    let id = sandbox.shine_create_id().await;
    // What an editor leaves for a moment while it saves.
    std::fs::write(dir.join("default.yaml"), "  \n").unwrap();
    let info = wait_for(&sandbox, |i| !i["errors"].as_array().unwrap().is_empty()).await;
    let error = &info["errors"][0];
    assert!(
        error["message"].as_str().unwrap().contains("empty"),
        "{error}"
    );
    assert!(runs(&info, "First"));
    // The world was not wiped: the request made before is still there.
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn watch_keeps_the_old_scenario_while_a_file_holds_only_comments() {
    let dir = folder(&[("default.yaml", world("First", "3m"))]);
    let sandbox = watching(&dir).await;
    let id = sandbox.shine_create_id().await;
    // An editor's placeholder: no content yet, only a comment and a marker.
    std::fs::write(dir.join("default.yaml"), "# editing\n---\n").unwrap();
    let info = wait_for(&sandbox, |i| !i["errors"].as_array().unwrap().is_empty()).await;
    let error = &info["errors"][0];
    assert!(
        error["message"].as_str().unwrap().contains("only comments"),
        "{error}"
    );
    assert!(runs(&info, "First"));
    assert_eq!(sandbox.shine_poll(&id).await.status, StatusCode::OK);
    // Content arrives: it is read as usual.
    std::fs::write(dir.join("default.yaml"), world("Second", "3m")).unwrap();
    wait_for(&sandbox, |i| runs(i, "Second")).await;
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

/// Posts `yaml` as `tenant` (the default one when `None`).
async fn upload(
    sandbox: &TestSandbox,
    tenant: Option<&str>,
    yaml: String,
) -> crate::support::Answer {
    let mut req = sandbox
        .http
        .post(sandbox.url("/__admin/scenarios"))
        .body(yaml);
    if let Some(tenant) = tenant {
        req = req.header("x-sandbox-tenant", tenant);
    }
    sandbox.send(req).await
}

async fn names_of(sandbox: &TestSandbox, tenant: &str) -> Vec<Value> {
    let req = sandbox
        .http
        .get(sandbox.url("/__admin/scenarios"))
        .header("x-sandbox-tenant", tenant);
    let info = sandbox.send(req).await.body;
    info["library"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect()
}

#[tokio::test]
async fn an_upload_belongs_to_its_tenant_and_never_replaces_a_built_in() {
    let sandbox = TestSandbox::start().await;
    let mine = world("Team A's", "2m").replace("name: default", "name: team-a-world");
    let posted = upload(&sandbox, Some("team-a"), mine).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    assert_eq!(posted.body["active"]["library_name"], "team-a-world");
    assert_eq!(
        names_of(&sandbox, "team-a").await,
        vec![json!("default"), json!("team-a-world")]
    );
    // Another tenant neither sees nor activates it.
    assert_eq!(names_of(&sandbox, "team-b").await, vec![json!("default")]);
    let stolen = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/scenarios/team-a-world/activate"))
                .header("x-sandbox-tenant", "team-b"),
        )
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);

    // `default` posted by a tenant is that tenant's active scenario, and the
    // built-in `default` stays what every other tenant gets.
    let hijack = world("Hijacked", "1m");
    let posted = upload(&sandbox, Some("team-a"), hijack).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    assert_eq!(posted.body["active"]["library_name"], Value::Null);
    assert_eq!(expires_in(&sandbox, Some("team-a")).await, 60);
    let built_in = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/__admin/scenarios/default/activate"))
                .header("x-sandbox-tenant", "team-b"),
        )
        .await;
    assert!(runs(&built_in.body, "The demo world"));
    assert_eq!(expires_in(&sandbox, Some("team-b")).await, 180);
    assert_eq!(expires_in(&sandbox, None).await, 180);
}

#[tokio::test]
async fn a_reset_forgets_uploads_and_the_library_is_capped() {
    let sandbox = TestSandbox::start().await;
    let named = |n: usize| world("Many", "2m").replace("name: default", &format!("name: many-{n}"));
    for n in 0..sca_sandbox::MAX_UPLOADS_PER_TENANT {
        let posted = upload(&sandbox, Some("busy"), named(n)).await;
        assert_eq!(posted.status, StatusCode::OK, "{n}: {}", posted.body);
    }
    // Replacing a name it has is fine; a new name is one too many.
    assert_eq!(
        upload(&sandbox, Some("busy"), named(0)).await.status,
        StatusCode::OK
    );
    let full = upload(&sandbox, Some("busy"), named(99)).await;
    assert_eq!(full.status, StatusCode::CONFLICT, "{}", full.body);
    assert_eq!(full.body["error"]["code"], "library_full");
    // A refused upload changes nothing: the active scenario is the last one taken.
    let info = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/__admin/scenarios"))
                .header("x-sandbox-tenant", "busy"),
        )
        .await;
    assert_eq!(info.body["active"]["library_name"], "many-0");

    // The tenant's reset forgets its uploads.
    let reset = sandbox
        .send(sandbox.http.post(sandbox.url("/t/busy/__admin/reset")))
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(names_of(&sandbox, "busy").await, vec![json!("default")]);
    assert_eq!(
        upload(&sandbox, Some("busy"), named(99)).await.status,
        StatusCode::OK
    );

    // All uploads together are capped in bytes, across tenants.
    let padding = "x".repeat(900 * 1024);
    let big = |n: usize| format!("name: big-{n}\ndescription: {padding}\n");
    let mut refused = None;
    for n in 0..(sca_sandbox::MAX_UPLOAD_BYTES / padding.len() + 2) {
        let posted = upload(&sandbox, Some(&format!("t{n}")), big(n)).await;
        if posted.status != StatusCode::OK {
            refused = Some((n, posted));
            break;
        }
    }
    let (n, posted) = refused.expect("the byte cap was reached");
    assert_eq!(posted.status, StatusCode::CONFLICT, "{}", posted.body);
    assert_eq!(n, sca_sandbox::MAX_UPLOAD_BYTES / (padding.len() + 24));

    // The default tenant's reset forgets every upload: the library is the
    // built-in one again, and uploads are taken again.
    let posted = upload(&sandbox, None, big(999)).await;
    assert_eq!(posted.status, StatusCode::CONFLICT);
    sandbox.post("/__admin/reset", Value::Null).await;
    assert_eq!(names(&sandbox).await, vec![json!("default")]);
    assert_eq!(
        upload(&sandbox, Some("t0"), big(0)).await.status,
        StatusCode::OK
    );
}
