//! The dashboard over HTTP: pages, buttons that are real POSTs with a
//! redirect back, and escaping of everything a user can set. The browser
//! tests in `browser/` click through the same pages in chromium.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestSandbox;

const MARKUP: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

impl TestSandbox {
    pub(crate) async fn page(
        &self,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let res = self
            .http
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.text().await.unwrap())
    }

    /// Presses a dashboard button; the redirect's location.
    pub(crate) async fn press(&self, fields: &[(&str, &str)]) -> String {
        let res = self
            .http
            .post(self.url("/actions"))
            .form(fields)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        res.headers()["location"].to_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn the_pages_render_for_browsers_and_the_index_stays_json() {
    let sandbox = TestSandbox::start().await;
    for path in ["/", "/timeline", "/journal"] {
        let (status, headers, body) = sandbox.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
            "{csp}"
        );
        assert!(body.contains("data-testid=\"clock-now\""), "{path}");
    }
    assert_eq!(
        sandbox.get("/").await.body["name"],
        "sca-sandbox",
        "JSON without Accept: text/html"
    );
    let script = sandbox
        .http
        .get(sandbox.url("/dashboard.js"))
        .send()
        .await
        .unwrap();
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
}

#[tokio::test]
async fn the_inbox_highlights_codes_and_buttons_play_the_user() {
    let sandbox = TestSandbox::start().await;
    let id = sandbox.shine_create_id().await;
    let (_, _, home) = sandbox.page("/").await;
    assert!(home.contains(&format!("data-testid=\"shine-row\" data-id=\"{id}\"")));
    let location = sandbox
        .press(&[("action", "shine_confirm"), ("id", &id), ("back", "/")])
        .await;
    assert!(location.starts_with("/?notice="), "{location}");
    assert_eq!(
        sandbox.shine_poll(&id).await.body["data"]["status"],
        "CONFIRMED"
    );
    let again = sandbox
        .press(&[
            ("action", "shine_confirm"),
            ("id", &id),
            ("back", "/journal"),
        ])
        .await;
    assert!(
        again.starts_with("/journal?notice=That+action+request"),
        "{again}"
    );

    sandbox
        .post(
            "/__admin/sms",
            json!({"to": "+4470", "text": "Code 424242 for you", "code": "424242"}),
        )
        .await;
    let (_, _, home) = sandbox.page("/").await;
    assert!(
        home.contains("Code <mark class=\"code\" data-testid=\"sms-code\">424242</mark> for you")
    );

    let hostile = sandbox
        .press(&[
            ("action", "advance"),
            ("by", "5m"),
            ("back", "//evil.example/x"),
        ])
        .await;
    assert!(
        hostile.starts_with("/?notice="),
        "a redirect never leaves: {hostile}"
    );
    // Forms no page sends are refused outright, not redirected.
    for fields in [
        &[("action", "advance"), ("by", "2h"), ("back", "/")][..],
        &[("action", "format_disk"), ("back", "/")][..],
        &[("back", "/")][..],
    ] {
        let res = sandbox
            .http
            .post(sandbox.url("/actions"))
            .form(fields)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{fields:?}");
        assert!(res.text().await.unwrap().starts_with("Bad request: "));
    }
}

#[tokio::test]
async fn the_clock_buttons_expire_a_solaris_change_request() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let held = sandbox.transfer(&token, 100).await;
    let id = held.body["id"].as_str().unwrap().to_owned();
    let (_, _, home) = sandbox.page("/").await;
    assert!(home.contains(&format!("data-testid=\"cr-row\" data-id=\"{id}\"")));
    sandbox
        .press(&[("action", "advance"), ("by", "5m"), ("back", "/")])
        .await;
    let (_, _, home) = sandbox.page("/").await;
    assert!(!home.contains(&id), "gone from the pending list");
    let (_, _, timeline) = sandbox.page("/timeline?provider=solaris").await;
    assert!(timeline.contains("change_request.expired"), "{timeline}");
}

#[tokio::test]
async fn a_change_request_is_signed_by_a_virtual_device_and_confirmed() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.solaris_token().await;
    let id = sandbox.transfer(&token, 100).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let location = sandbox
        .press(&[("action", "solaris_sign"), ("id", &id), ("back", "/")])
        .await;
    assert!(location.contains("Signed"), "{location}");
    let read = sandbox
        .solaris(
            Method::GET,
            &format!("/v1/change_requests/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(read.body["status"], "COMPLETED");
}

#[tokio::test]
async fn thredd_buttons_approve_and_enter_the_fallback_code() {
    let sandbox = TestSandbox::start().await;
    let approved = sandbox.start_3ds(812_561_666).await;
    sandbox
        .press(&[
            ("action", "thredd_approve"),
            ("id", &approved),
            ("back", "/"),
        ])
        .await;
    assert_eq!(sandbox.session(&approved).await["state"], "AUTHENTICATED");
    let stepped = sandbox.start_3ds(812_561_666).await;
    let pm = sandbox.pm_token().await;
    sandbox
        .notify_validate(
            &pm,
            crate::thredd::validate_body(812_561_666, &stepped, "STEPUP"),
        )
        .await;
    let code = sandbox.get("/__admin/sms?provider=thredd").await.body[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, home) = sandbox.page("/").await;
    assert!(home.contains("data-testid=\"thredd-otp-input\""));
    sandbox
        .press(&[
            ("action", "thredd_otp"),
            ("id", &stepped),
            ("code", &code),
            ("back", "/"),
        ])
        .await;
    assert_eq!(sandbox.session(&stepped).await["state"], "AUTHENTICATED");
}

#[tokio::test]
async fn everything_a_user_can_set_is_escaped() {
    let sandbox = TestSandbox::with(&format!(
        "rules:\n  - name: \"{}\"\n    when: {{ operation: shine.oauth.revoke }}\n    respond: {{ status: 418 }}\n",
        MARKUP.replace('"', "\\\"")
    ))
    .await;
    sandbox
        .post(
            "/__admin/sms",
            json!({"to": MARKUP, "text": MARKUP, "code": MARKUP, "purpose": MARKUP, "reference": MARKUP}),
        )
        .await;
    let token = sandbox.intergiro_login().await;
    sandbox.pay_iban(&token, "r1", MARKUP).await;
    sandbox
        .post(
            "/__admin/thredd/authentications",
            json!({"pubtoken": 812_561_666, "amount": 1, "currency": "EUR", "merchant": {"name": MARKUP}}),
        )
        .await;
    sandbox
        .post("/shine/v2/authentication/oauth2/token/revoke", json!({}))
        .await;
    sandbox
        .post(&format!("/shine/{}", urlencode(MARKUP)), json!({}))
        .await;
    for path in ["/", "/timeline", "/journal"] {
        let (_, _, body) = sandbox.page(path).await;
        assert!(!body.contains("<script>alert"), "{path}");
        assert!(!body.contains("<img src=x"), "{path}");
        assert!(
            body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path} shows the text"
        );
    }
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn weavr_pushes_are_answered_from_the_dashboard() {
    let sandbox = TestSandbox::start().await;
    let token = sandbox.weavr_login("/multi", "buyer@example.com").await;
    let push = sandbox
        .weavr(
            "/multi/stepup/challenges/push/BIOMETRIC",
            Some(&token),
            None,
        )
        .await;
    let id = push.body["id"].as_str().unwrap().to_owned();
    let (_, _, home) = sandbox.page("/").await;
    assert!(home.contains(&format!("data-testid=\"weavr-row\" data-id=\"{id}\"")));
    let location = sandbox
        .press(&[("action", "weavr_approve"), ("id", &id), ("back", "/")])
        .await;
    assert!(location.starts_with("/?notice=Push"), "{location}");
    let accounts = sandbox
        .http
        .get(sandbox.url("/weavr/multi/managed_accounts"))
        .header("api-key", "weavr-sandbox-key")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(accounts.status(), StatusCode::OK, "stepped up by the push");
    let again = sandbox
        .press(&[("action", "weavr_reject"), ("id", &id), ("back", "/")])
        .await;
    assert!(again.starts_with("/?notice=That+push"), "{again}");
}

#[tokio::test]
async fn the_icon_browsers_ask_for_is_no_404() {
    let sandbox = TestSandbox::start().await;
    let icon = sandbox.get("/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::NO_CONTENT);
    assert_eq!(icon.headers["cache-control"], "max-age=86400");
}
