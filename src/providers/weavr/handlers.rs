//! One function per Weavr operation; the two products share them, passing
//! their [`Profile`] where the answers differ. Multi's transactions and
//! challenges are in `multi`.

use hyper::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::buyers::{BuyerUpdate, UserCreate};
use super::challenge::check_code;
use super::error::WeavrError;
use super::model::{self, AccessToken, Factor, Login, Page, Verify};
use super::multi;
use super::routes::{Profile, Route};
use super::runs::{check_payment_run, RunFilter, RunStatus};
use super::store::{Ctx, SessionMut};
use crate::http::{self, Request, Response};
use crate::providers::Provider;
use crate::providers::World;

pub(super) type Result<T> = std::result::Result<T, WeavrError>;

pub(crate) fn handle(route: Route, req: &Request, world: &World) -> Result<Response> {
    // Every Weavr call carries the API key, logged in or not; the
    // Simulator names it `programme-key`.
    let key = req
        .header("api-key")
        .or_else(|| req.header("programme-key"));
    match key {
        Some(key) if world.stores().weavr.api_key_ok(key) => {}
        // The Simulator declares no 401, so its `default` answers, and that
        // has a body.
        _ if matches!(route, Route::SimulateChallenge(..)) => {
            return Err(WeavrError::simulator(
                StatusCode::UNAUTHORIZED,
                "A valid programme-key header is required",
            ))
        }
        _ => return Err(WeavrError::Unauthorized),
    }
    let answer = route_to(route, req, world);
    publish(world);
    if let Err(error) = &answer {
        super::report::refused(world, req, error);
    }
    answer
}

fn route_to(route: Route, req: &Request, world: &World) -> Result<Response> {
    match route {
        Route::Login(profile) => login(req, world, profile),
        Route::Logout(profile) => {
            // Like any authenticated call: an unknown or expired token is a 401.
            session(req, world, profile, |_| Ok(()))?;
            world
                .stores()
                .weavr
                .logout(req.bearer().unwrap_or_default());
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::ListFactors => session(req, world, Profile::Multi, |s| {
            let mut factors = Vec::new();
            if let Some(status) = s.sms_factor() {
                factors.push(Factor {
                    kind: "OTP",
                    status,
                    channel: "SMS",
                });
            }
            if let Some(channel) = s.user.push {
                factors.push(Factor {
                    kind: "PUSH",
                    status: "ACTIVE",
                    channel: channel.name(),
                });
            }
            Ok(ok(&model::Factors { factors }))
        }),
        Route::Enrol(profile, channel) => {
            sms_channel(&channel)?;
            let sms = session(req, world, profile, |s| s.enrol())?;
            world.send_sms(sms);
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
            world.send_sms(sms);
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
            s.require_step_up()?;
            let page = Page::of_query(req)?;
            let accounts = [model::managed_account(s.user_index)];
            let shown = page.of(&accounts);
            Ok(ok(&model::Listing {
                key: "accounts",
                items: shown.iter().collect(),
                count: accounts.len(),
            }))
        }),
        Route::CreatePaymentRun => create_payment_run(req, world),
        Route::ListPaymentRuns => {
            let (filter, page) = run_query(req)?;
            pr_session(req, world, |s| Ok(ok(&s.runs(&filter, page))))
        }
        Route::GetPaymentRun(id) => pr_session(req, world, |s| Ok(ok(&s.run(&id)?.view()))),
        Route::ConfirmPaymentRun(id) => {
            let res = pr_session(req, world, |s| Ok(ok(&s.confirm_run(&id)?)))?;
            emit(world, "payment_run.confirmed", id);
            Ok(res)
        }
        Route::LinkedAccounts => pr_session(req, world, |s| {
            let accounts = [model::linked_account(s.user_index, world.now())];
            Ok(ok(&model::Listing {
                key: "linkedAccounts",
                count: accounts.len(),
                items: accounts.into(),
            }))
        }),
        Route::IssuePaymentRunSca(id, channel) => {
            sms_channel(&channel)?;
            let sms = pr_session(req, world, |s| s.issue_run_sca(&id))?;
            world.send_sms(sms);
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::VerifyPaymentRunSca(id, channel) => {
            sms_channel(&channel)?;
            // The simulated SCA's description asks only for some text: a
            // code of another length is wrong, not malformed.
            let body: Verify = req.json()?;
            let code = match body.verification_code {
                Some(code) if !code.is_empty() => code,
                Some(_) => {
                    return Err(WeavrError::field(
                        "verificationCode",
                        "SIZE",
                        &["1", "2147483647"],
                    ))
                }
                None => return Err(WeavrError::field("verificationCode", "REQUIRED", &[])),
            };
            pr_session(req, world, |s| s.verify_run_sca(&id, &code))?;
            verified(world, "payment_run_sca");
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::CreateUser => {
            let body: UserCreate = req.json()?;
            pr_session(req, world, |s| Ok(ok(&s.create_user(body)?)))
        }
        Route::ListUsers => {
            let page = Page::of_query(req)?;
            let active = match req.query_param("active").as_deref() {
                None => None,
                Some("true") => Some(true),
                Some("false") => Some(false),
                Some(_) => return Err(WeavrError::field("active", "IN", &["true", "false"])),
            };
            let email = req.query_param("email");
            pr_session(req, world, |s| {
                Ok(ok(&s.users(active, email.as_deref(), page)))
            })
        }
        Route::GetBuyer => pr_session(req, world, |s| Ok(ok(&s.buyer()))),
        Route::UpdateBuyer => {
            let body: BuyerUpdate = req.json()?;
            pr_session(req, world, |s| Ok(ok(&s.update_buyer(body)?)))
        }
        other => multi::handle(other, req, world),
    }
}

pub(super) fn ok(body: &impl Serialize) -> Response {
    http::json(StatusCode::OK, body)
}

pub(super) fn session<R>(
    req: &Request,
    world: &World,
    profile: Profile,
    f: impl FnOnce(&mut SessionMut<'_>) -> Result<R>,
) -> Result<R> {
    world
        .stores()
        .weavr
        .session(Ctx::of(world), req.bearer(), profile, f)
}

fn pr_session<R>(
    req: &Request,
    world: &World,
    f: impl FnOnce(&mut SessionMut<'_>) -> Result<R>,
) -> Result<R> {
    session(req, world, Profile::PaymentRun, f)
}

pub(super) fn sms_channel(channel: &str) -> Result<()> {
    if channel == "SMS" {
        Ok(())
    } else {
        Err(WeavrError::conflict("CHANNEL_NOT_SUPPORTED"))
    }
}

pub(super) fn verification_code(req: &Request) -> Result<String> {
    let body: Verify = req.json()?;
    check_code(body.verification_code.as_deref()).map(str::to_owned)
}

pub(super) fn emit(world: &World, event: &'static str, id: String) {
    world.emit(Provider::Weavr, event, id, world.now(), Value::Null);
}

pub(super) fn verified(world: &World, purpose: &str) {
    emit(world, "challenge.verified", purpose.to_owned());
}

/// Publishes push challenges that the store settled.
pub(crate) fn publish(world: &World) {
    let (happened, hooks) = world.stores().weavr.take_happened();
    for (id, event) in happened {
        emit(world, event, id);
    }
    if !hooks.is_empty() {
        super::webhooks::publish(world, hooks);
    }
}

fn login(req: &Request, world: &World, profile: Profile) -> Result<Response> {
    let body: Login = req.json()?;
    if body.email.trim().is_empty() {
        return Err(WeavrError::field("email", "HAS_TEXT", &[]));
    }
    let (token, user) =
        world
            .stores()
            .weavr
            .login(Ctx::of(world), profile, &body.email, &body.password.value)?;
    let role = &world.stores().weavr.user(user).role;
    Ok(ok(&model::login_answer(profile, &token, user, role)))
}

fn access_token(req: &Request, world: &World) -> Result<Response> {
    let body: AccessToken = req.json()?;
    let token = req.bearer().unwrap_or_default().to_owned();
    session(req, world, Profile::Multi, |s| {
        let view = s.view();
        if body.identity.kind != "CORPORATE"
            || body.identity.id != model::identity_id(view.user_index)
        {
            // The description gives this 403 no body.
            return Err(WeavrError::Forbidden);
        }
        let mut answer =
            model::login_answer(Profile::Multi, &token, view.user_index, &view.user.role);
        answer.token_type = None;
        answer.status = Some(model::status_name(view.step_up));
        Ok(ok(&answer))
    })
}

fn run_query(req: &Request) -> Result<(RunFilter, Page)> {
    let page = Page::of_query(req)?;
    let status = match req.query_param("status") {
        None => None,
        Some(s) => Some(
            RunStatus::parse(&s)
                .ok_or_else(|| WeavrError::field("status", "IN", RunStatus::ALL_NAMES))?,
        ),
    };
    let tags = req
        .query_pairs()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| v.into_owned())
        .collect();
    Ok((RunFilter { status, tags }, page))
}

fn create_payment_run(req: &Request, world: &World) -> Result<Response> {
    let body: Value = req.json()?;
    let view = pr_session(req, world, |s| {
        check_payment_run(&body)?;
        s.create_run(body)
    })?;
    let answer = ok(&view);
    emit(world, "payment_run.created", view.id().to_owned());
    Ok(answer)
}
