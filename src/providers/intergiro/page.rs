//! The hosted consent page at `/intergiro/sca/consent?token=...`: what is
//! asked, a passcode, Approve and Decline. Plain HTML forms, no JavaScript;
//! then a 303 back to `return_url` with the consent id and outcome.

use hyper::StatusCode;
use serde::Serialize;

use super::model::{ConsentPage, MessagePage, Submission};
use super::publish;
use super::store::Ctx;
use super::store::Passcode;
use crate::http::{self, Request, Response};
use crate::providers::World;

const ACTION: &str = "/intergiro/sca/consent";

pub(super) fn render(
    world: &World,
    status: StatusCode,
    name: &str,
    data: &impl Serialize,
) -> Response {
    let data = serde_json::to_value(data).unwrap_or_default();
    match world.render(name, &data) {
        Ok(html) => http::html(status, html),
        Err(e) => http::html(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "<!doctype html><p>The page failed to render: {}</p>",
                escape(&e)
            ),
        ),
    }
}

fn escape(text: &str) -> String {
    handlebars::html_escape(text)
}

pub(super) fn message(world: &World, status: StatusCode, title: &str, text: &str) -> Response {
    render(
        world,
        status,
        "intergiro/message",
        &MessagePage { title, text },
    )
}

pub(super) fn gone(world: &World) -> Response {
    message(
        world,
        StatusCode::GONE,
        "This link can no longer be used",
        "The confirmation has expired or was already completed. Return to the app and start again.",
    )
}

fn consent_page(world: &World, token: &str, error: Option<&str>) -> Response {
    let Some((_, summary, scope)) = world.stores().intergiro.page(Ctx::of(world), token) else {
        return gone(world);
    };
    let mut summary = summary;
    summary.account = summary.account.map(|id| account_words(world, &id));
    let data = ConsentPage {
        summary,
        scope: scope_words(scope),
        token,
        action: format!("{}{ACTION}", world.base_path()),
        error,
        // Only the demo world's passcode is public (the README lists it); a
        // scenario's own passcode is for its author to know.
        demo_passcode: world
            .embedded()
            .then_some(world.settings().intergiro.passcode.as_str()),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(world, status, "intergiro/consent", &data)
}

/// What a permission lets the partner do, as a bank says it to its
/// customer; the code stays out of sight.
fn scope_words(scope: &str) -> &'static str {
    match scope {
        "make_payment" => "Make this payment from your account",
        "view_transactions" => "See your account's transactions",
        "view_card_credentials" => "See your card's number and security code",
        "activate_card" => "Activate your card",
        "onboarding" => "Start opening your account: send Intergiro your details",
        "payment_method" => "Save your card for payments (and pay, when an amount is shown)",
        "apple_pay" => "Add your card to Apple Pay on this device",
        _ => "Act on your account",
    }
}

/// An account as its holder knows it: its currency and the last digits of
/// its IBAN (`EUR account •••• 7466`), never the sandbox's id.
fn account_words(world: &World, id: &str) -> String {
    let fixtures = &world.stores().intergiro.fixtures;
    match fixtures.accounts.iter().find(|a| a.id.value == id) {
        Some(account) => {
            let iban: String = account
                .iban
                .as_deref()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let last = &iban[iban.len().saturating_sub(4)..];
            if last.is_empty() {
                format!("{} account", account.currency)
            } else {
                format!("{} account •••• {last}", account.currency)
            }
        }
        None => "Your account".to_owned(),
    }
}

pub(crate) fn view(req: &Request, world: &World) -> Response {
    match req.query_param("token") {
        Some(token) => consent_page(world, &token, None),
        None => message(
            world,
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "The confirmation link is missing its token.",
        ),
    }
}

pub(crate) fn submit(req: &Request, world: &World) -> Response {
    let Ok(form) = req.form::<Submission>(false) else {
        return message(
            world,
            StatusCode::BAD_REQUEST,
            "Something went wrong",
            "The form was incomplete. Return to the app and start again.",
        );
    };
    // The form is checked before the token, so a malformed form is a 400
    // whatever the state of the link.
    let approve = match form.decision.as_str() {
        "approve" => true,
        "decline" => false,
        _ => {
            return message(
                world,
                StatusCode::BAD_REQUEST,
                "Something went wrong",
                "Unknown decision.",
            )
        }
    };
    let Some((id, _, _)) = world.stores().intergiro.page(Ctx::of(world), &form.token) else {
        return gone(world);
    };
    if approve {
        let typed = form.passcode.as_deref().unwrap_or_default();
        match world
            .stores()
            .intergiro
            .passcode(Ctx::of(world), &form.token, typed)
        {
            Passcode::Right => {}
            Passcode::Wrong => {
                let retry = Some("That passcode is not right. Try again.");
                return consent_page(world, &form.token, retry);
            }
            Passcode::Locked => {
                return message(
                    world,
                    StatusCode::FORBIDDEN,
                    "Too many attempts",
                    "The passcode was wrong too many times. Return to the app and start again.",
                )
            }
        }
    }
    let Ok((return_url, kind)) =
        world
            .stores()
            .intergiro
            .decide(Ctx::of(world), &id, Some(&form.token), approve)
    else {
        return gone(world);
    };
    publish(world, vec![(kind, id.clone())]);
    let status = if approve { "approved" } else { "declined" };
    match return_url {
        Some(url) => {
            let mut location = url;
            location.push(if location.contains('?') { '&' } else { '?' });
            location.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .append_pair("consent_id", &id)
                    .append_pair("status", status)
                    .finish(),
            );
            http::redirect(StatusCode::SEE_OTHER, &location)
        }
        None => message(
            world,
            StatusCode::OK,
            if approve { "Approved" } else { "Declined" },
            "You can close this window and return to the app.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn the_pages_render_and_escape() {
        let consent = crate::templates::render(
            "intergiro/consent",
            &json!({"title": "Pay", "amount": "1.00 EUR", "payee": "<script>alert(1)</script>", "iban": null,
                "reference": "a\"b", "card": null, "account": null, "scope": "make_payment", "token": "t", "action": "/x", "error": null}),
        )
        .unwrap();
        assert!(consent.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!consent.contains("<script>alert"));
        assert!(consent.contains("a&quot;b"));
        let message = crate::templates::render(
            "intergiro/message",
            &json!({"title": "Done", "text": "<b>x</b>"}),
        )
        .unwrap();
        assert!(message.contains("&lt;b&gt;x&lt;/b&gt;"));
    }
}
