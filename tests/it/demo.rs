//! The dashboard and the consent page in front of an audience: what a pending
//! item is about, times relative to the sandbox clock, IBANs grouped, card
//! numbers masked, and the passcode hint only in the default world. The
//! browser tests (`browser/demo.test.mjs`) check the same in chromium, and the
//! layout on a laptop and a phone.

use reqwest::{Method, StatusCode};
use sca_sandbox::Sandbox;
use serde_json::json;

use crate::support::TestSandbox;

/// The text of the element with `data-testid="{id}"` inside `html` after
/// `from`, the first time it appears.
fn testid_text<'a>(html: &'a str, from: &str, id: &str) -> &'a str {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("{from} on the page"));
    let rest = &html[start..];
    let tag = format!("data-testid=\"{id}\"");
    let at = rest
        .find(&tag)
        .unwrap_or_else(|| panic!("{id} after {from}"));
    let open = at + rest[at..].find('>').unwrap() + 1;
    let close = open + rest[open..].find('<').unwrap();
    &rest[open..close]
}

#[tokio::test]
async fn pending_items_say_what_they_are_about() {
    let sandbox = TestSandbox::start().await;
    let shine = sandbox.shine_create_id().await;
    let token = sandbox.solaris_token().await;
    let held = sandbox.transfer(&token, 4_250).await;
    let change_request = held.body["id"].as_str().unwrap().to_owned();
    let purchase = sandbox
        .post(
            "/__admin/thredd/authentications",
            json!({"pubtoken": 812_561_666, "amount": 1999, "currency": "GBP",
                   "merchant": {"name": "Amazon"}, "notify_initiate_action_url": "http://127.0.0.1:9/x"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let intergiro = sandbox.intergiro_login().await;
    let card = sandbox
        .intergiro(
            Method::GET,
            "/v3/cards/card-1/credentials",
            &intergiro,
            None,
        )
        .await;
    assert_eq!(card.status, StatusCode::PRECONDITION_FAILED);
    let consent = card.body["consent"]["id"].as_str().unwrap().to_owned();

    let (_, _, home) = sandbox.page("/").await;
    let row = |id: &str| format!("data-id=\"{id}\"");
    let shine_row = row(&shine);
    assert_eq!(testid_text(&home, &shine_row, "pending-title"), "Transfer");
    assert_eq!(
        testid_text(&home, &shine_row, "pending-amount"),
        "234.00 EUR"
    );
    assert_eq!(testid_text(&home, &shine_row, "pending-payee"), "Jane Doe");
    assert_eq!(
        testid_text(&home, &shine_row, "pending-iban"),
        "FR76 3000 6000 0112 3456 7890 189"
    );
    let cr_row = row(&change_request);
    assert_eq!(
        testid_text(&home, &cr_row, "pending-title"),
        "SEPA credit transfer"
    );
    assert_eq!(testid_text(&home, &cr_row, "pending-amount"), "42.50 EUR");
    assert_eq!(
        testid_text(&home, &cr_row, "pending-iban"),
        "DE89 3704 0044 0532 0130 00"
    );
    assert_eq!(
        testid_text(&home, &cr_row, "pending-reference"),
        "Invoice 42"
    );
    let thredd_row = row(&purchase);
    assert_eq!(
        testid_text(&home, &thredd_row, "pending-amount"),
        "19.99 GBP"
    );
    assert_eq!(testid_text(&home, &thredd_row, "pending-payee"), "Amazon");
    assert_eq!(
        testid_text(&home, &row(&consent), "pending-card"),
        "•••• 1115 (card-1)"
    );
    assert!(
        !home.contains("5555341244441115"),
        "no card number on the page"
    );
}

#[tokio::test]
async fn times_read_relative_to_the_sandbox_clock_with_the_exact_time_on_hover() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    let (_, _, home) = sandbox.page("/").await;
    let row = format!("data-id=\"{id}\"");
    assert_eq!(testid_text(&home, &row, "when"), "in 3 min");
    let start = home.find(&row).unwrap();
    let time = &home[start + home[start..].find("<time").unwrap()..];
    let title = &time[time.find("title=\"").unwrap() + 7..];
    let title = &title[..title.find('"').unwrap()];
    assert!(title.ends_with(" UTC") && title.len() == 23, "{title}");
    sandbox.advance("150s").await;
    let (_, _, later) = sandbox.page("/").await;
    assert_eq!(testid_text(&later, &row, "when"), "in 30 s");
    let (_, _, timeline) = sandbox.page("/timeline").await;
    assert_eq!(
        testid_text(&timeline, "action_request.created", "when"),
        "2 min ago"
    );
}

#[tokio::test]
async fn the_consent_page_hints_the_demo_passcode_only_in_the_default_world() {
    let demo = TestSandbox::start().await;
    let token = demo.intergiro_login().await;
    let (_, page) = demo.consent_page(&token, "r1", "Acme").await;
    let (status, _, html) = demo
        .page(&format!("/intergiro/sca/consent?token={page}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        testid_text(&html, "<dl", "consent-iban"),
        "DE89 3704 0044 0532 0130 00"
    );
    assert_eq!(
        testid_text(&html, "<form", "passcode-hint"),
        "Sandbox demo passcode: 1234"
    );

    // The demo world's fixtures, under a scenario of its own.
    let own = TestSandbox::from(
        Sandbox::builder().scenario_yaml("settings:\n  intergiro:\n    passcode: \"8642\"\n"),
    )
    .await;
    let token = own.intergiro_login().await;
    let (_, page) = own.consent_page(&token, "r1", "Acme").await;
    let (_, _, html) = own
        .page(&format!("/intergiro/sca/consent?token={page}"))
        .await;
    assert!(html.contains("data-testid=\"passcode\""));
    assert!(
        !html.contains("passcode-hint"),
        "a scenario's passcode stays its author's"
    );
    assert!(!html.contains("8642"));
}
