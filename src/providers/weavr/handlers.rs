//! One function per Weavr operation; the two products share them, passing
//! their [`Profile`] where the answers differ.

use hyper::StatusCode;
use serde_json::{json, Value};

use super::challenge::check_code;
use super::error::WeavrError;
use super::model::{self, AccessToken, Login, Verify};
use super::routes::{Profile, Route};
use super::store::{Ctx, SessionMut};
use crate::http::{self, Request, Response};
use crate::providers::Provider;
use crate::state::{SmsDraft, World};

type Result<T> = std::result::Result<T, WeavrError>;

pub(crate) fn handle(route: Route, req: &Request, world: &World) -> Result<Response> {
    // Every Weavr call carries the API key, logged in or not.
    match req.header("api-key") {
        Some(key) if world.stores.weavr.api_key_ok(key) => {}
        Some(_) => return Err(WeavrError::unauthorized("Invalid api-key")),
        None => return Err(WeavrError::unauthorized("The api-key header is required")),
    }
    match route {
        Route::Login(profile) => login(req, world, profile),
        Route::Logout(profile) => {
            // Like any authenticated call: an unknown or expired token is a 401.
            session(req, world, profile, |_| Ok(()))?;
            world.stores.weavr.logout(req.bearer().unwrap_or_default());
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::ListFactors => session(req, world, Profile::Multi, |s| {
            let status = if s.enrolled() { "ACTIVE" } else { "INACTIVE" };
            Ok(ok(
                json!({ "factors": [{ "type": "OTP", "status": status, "channel": "SMS" }] }),
            ))
        }),
        Route::Enrol(profile, channel) => {
            sms_channel(&channel)?;
            let sms = session(req, world, profile, |s| s.enrol())?;
            send(world, sms);
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::VerifyEnrolment(profile, channel) => {
            sms_channel(&channel)?;
            let code = verification_code(req)?;
            session(req, world, profile, |s| s.verify_enrolment(&code))?;
            verified(world, "enrolment");
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::IssueStepUp(profile, channel) => {
            sms_channel(&channel)?;
            let sms = session(req, world, profile, |s| s.issue_step_up(profile))?;
            send(world, sms);
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::VerifyStepUp(profile, channel) => {
            sms_channel(&channel)?;
            let code = verification_code(req)?;
            session(req, world, profile, |s| s.verify_step_up(profile, &code))?;
            verified(world, "stepup");
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::AccessToken => access_token(req, world),
        Route::ManagedAccounts => session(req, world, Profile::Multi, |s| {
            s.require(true)?;
            Ok(ok(managed_accounts(s.user_index)))
        }),
        Route::CreatePaymentRun => create_payment_run(req, world),
        Route::GetPaymentRun(id) => session(req, world, Profile::PaymentRun, |s| {
            Ok(ok(run_view(s.run(&id)?)))
        }),
        Route::ConfirmPaymentRun(id) => {
            let res = session(req, world, Profile::PaymentRun, |s| {
                s.require(false)?;
                Ok(ok(run_view(s.confirm_run(&id)?)))
            })?;
            world.emit(
                Provider::Weavr,
                "payment_run.confirmed",
                id,
                world.now(),
                Value::Null,
            );
            Ok(res)
        }
        Route::LinkedAccounts => session(req, world, Profile::PaymentRun, |s| {
            s.require(true)?;
            Ok(ok(linked_accounts(s.user_index)))
        }),
        Route::IssuePaymentRunSca(id, channel) => {
            sms_channel(&channel)?;
            let sms = session(req, world, Profile::PaymentRun, |s| s.issue_run_sca(&id))?;
            send(world, sms);
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::VerifyPaymentRunSca(id, channel) => {
            sms_channel(&channel)?;
            let code = verification_code(req)?;
            session(req, world, Profile::PaymentRun, |s| {
                s.verify_run_sca(&id, &code)
            })?;
            verified(world, "payment_run_sca");
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
    }
}

fn ok(body: Value) -> Response {
    http::json(StatusCode::OK, &body)
}

fn session<R>(
    req: &Request,
    world: &World,
    profile: Profile,
    f: impl FnOnce(&mut SessionMut<'_>) -> Result<R>,
) -> Result<R> {
    world.stores.weavr.session(Ctx::of(world), req.bearer(), profile, f)
}

fn sms_channel(channel: &str) -> Result<()> {
    if channel == "SMS" {
        Ok(())
    } else {
        Err(WeavrError::conflict("CHANNEL_NOT_SUPPORTED"))
    }
}

fn verification_code(req: &Request) -> Result<String> {
    let body: Verify = req.json()?;
    check_code(body.verification_code.as_deref()).map(str::to_owned)
}

fn send(world: &World, sms: SmsDraft) {
    world.send_sms(sms);
}

fn verified(world: &World, purpose: &str) {
    world.emit(
        Provider::Weavr,
        "challenge.verified",
        purpose.to_owned(),
        world.now(),
        Value::Null,
    );
}

fn login(req: &Request, world: &World, profile: Profile) -> Result<Response> {
    let body: Login = req.json()?;
    if body.email.trim().is_empty() {
        return Err(WeavrError::field("email", "HAS_TEXT", &[]));
    }
    let (token, user) =
        world
            .stores
            .weavr
            .login(Ctx::of(world), profile, &body.email, &body.password.value)?;
    let role = &world.stores.weavr.user(user).role;
    Ok(ok(model::login_response(profile, &token, user, role)))
}

fn access_token(req: &Request, world: &World) -> Result<Response> {
    let body: AccessToken = req.json()?;
    let token = req.bearer().unwrap_or_default().to_owned();
    session(req, world, Profile::Multi, |s| {
        let view = s.view();
        if body.identity.kind != "CORPORATE"
            || body.identity.id != model::identity_id(view.user_index)
        {
            return Err(WeavrError::code(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "The identity does not belong to this user",
            ));
        }
        let mut answer =
            model::login_response(Profile::Multi, &token, view.user_index, &view.user.role);
        answer["status"] = json!(model::status_name(view.step_up));
        if let Some(map) = answer.as_object_mut() {
            map.remove("tokenType");
        }
        Ok(ok(answer))
    })
}

fn create_payment_run(req: &Request, world: &World) -> Result<Response> {
    let body: Value = req.json()?;
    if !body.is_object() {
        return Err(WeavrError::field("payments", "REQUIRED", &[]));
    }
    let res = session(req, world, Profile::PaymentRun, |s| {
        // The step-up check comes first: an unauthorised caller learns nothing
        // about the body.
        s.require(false)?;
        model::check_payment_run(&body)?;
        let run = s.create_run(body)?;
        Ok((run.id.clone(), run_view(run)))
    })?;
    let (id, res) = res;
    world.emit(
        Provider::Weavr,
        "payment_run.created",
        id,
        world.now(),
        Value::Null,
    );
    Ok(ok(res))
}

fn run_view(run: &super::store::PaymentRun) -> Value {
    let payments: Vec<Value> = run.request["payments"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut p = p.clone();
                    p["id"] = json!(format!("{}{:02}", &run.id[..22], i % 100));
                    p["status"] = json!(run.status);
                    p
                })
                .collect()
        })
        .unwrap_or_default();
    let mut view = json!({
        "id": run.id,
        "status": run.status,
        "payments": payments,
        "buyerId": model::identity_id(run.owner),
        "createdBy": model::credentials_id(run.owner),
        "createdAt": crate::timefmt::millis(&run.created_at),
    });
    for key in ["paymentRunRef", "tag", "description"] {
        if let Some(v) = run.request.get(key) {
            view[key] = v.clone();
        }
    }
    view
}

fn linked_accounts(user: usize) -> Value {
    json!({ "linkedAccounts": [{
        "id": format!("652d25b73541d8084a88a3{:02x}", user % 256),
        "accountIdentification": { "iban": "GB33BUKB20201555555555" },
        "currency": "GBP",
        "institution": { "displayName": "Sandbox Bank", "countries": ["GB"] },
        "consent": { "status": "ACTIVE" },
        "status": "LINKED",
    }]})
}

fn managed_accounts(user: usize) -> Value {
    json!({
        "accounts": [{
            "id": format!("{}", 110_747_174_434_373_800u64 + user as u64),
            "friendlyName": "Operating account",
            "currency": "EUR",
            "balances": { "availableBalance": 1_000_000, "actualBalance": 1_000_000 },
            "state": { "state": "ACTIVE" },
        }],
        "count": 1,
    })
}
