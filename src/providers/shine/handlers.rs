//! One function per Shine operation.

use hyper::{Method, StatusCode};
use serde_json::Value;

use super::error::{self, ShineError};
use super::model::{
    ClientCredentials, CreateActionRequest, Envelope, RevokeRequest, TokenMetadata, TokenRequest,
    TokenResponse, TransferBody, ACTION_TRANSFER_CREATE,
};
use super::oauth::Issued;
use super::routes::Route;
use super::store::{Ctx, Directory, Happened, NewActionRequest};
use crate::http::{self, Request, Response};
use crate::providers::Provider;
use crate::providers::World;

type Result<T> = std::result::Result<T, ShineError>;

/// Puts what happened on the timeline, after the store's lock is released.
pub(crate) fn publish(world: &World, happened: Vec<Happened>) {
    for h in happened {
        world.emit(Provider::Shine, h.kind, h.subject, h.at, Value::Null);
    }
}

/// Runs one of Shine's operations.
pub(crate) fn handle(route: Route, req: &Request, world: &World) -> Result<Response> {
    let answer = route_to(route, req, world);
    if let Err(error) = &answer {
        super::report::refused(world, req, error);
    }
    answer
}

fn route_to(route: Route, req: &Request, world: &World) -> Result<Response> {
    match route {
        Route::Authorize => authorize(req, world),
        Route::Token => token(req, world),
        Route::RevokeToken => revoke(req, world),
        Route::CreateActionRequest => create_action_request(req, world),
        Route::PollActionRequest { id } => poll_action_request(req, world, &id),
        Route::CreateTransfer => create_transfer(req, world),
        Route::GetTransfer { id } => get_transfer(req, world, &id),
        Route::QueryTransfers => {
            let uid = bearer_user(req, world)?;
            super::queries::transfers(req, world, &uid)
        }
        Route::QueryRecipients => {
            bearer_user(req, world)?;
            super::queries::recipients(req, world)
        }
        Route::GetRecipient { id } => {
            bearer_user(req, world)?;
            let recipient = world
                .stores()
                .shine
                .directory
                .recipient(&id)
                .ok_or_else(|| ShineError::not_found("Bank transfer recipient"))?;
            Ok(http::json(StatusCode::OK, &Envelope::new(recipient)))
        }
    }
}

fn create_action_request(req: &Request, world: &World) -> Result<Response> {
    let body: CreateActionRequest<'_> = req.json()?;
    let directory = &world.stores().shine.directory;
    let client_id = directory.authenticate(&body.client_id, &body.client_secret)?;
    if body.action != ACTION_TRANSFER_CREATE {
        return Err(ShineError::validation(
            "action",
            format!(
                "Unsupported action `{}`; the sandbox supports `{ACTION_TRANSFER_CREATE}`",
                body.action
            ),
        ));
    }
    let uid = directory
        .user(&body.uid)
        .ok_or_else(|| ShineError::not_found("User").on_field("uid"))?;
    check_transfer(directory, uid, body.payload.get().as_bytes(), "payload.")?;
    let new = NewActionRequest {
        client_id: client_id.clone(),
        uid: uid.clone(),
        payload: body.payload,
    };
    let mut happened = Vec::new();
    let response = world
        .stores()
        .shine
        .create(Ctx::of(world), new, &mut happened, |view| {
            http::with_type(
                StatusCode::OK,
                view.to_envelope_json().into(),
                "application/json",
            )
        });
    publish(world, happened);
    response.map_err(ShineError::too_many)
}

pub(crate) fn poll_action_request(req: &Request, world: &World, id: &str) -> Result<Response> {
    let creds: ClientCredentials = if req.method == Method::GET {
        req.form(true)?
    } else {
        req.json()?
    };
    world
        .stores()
        .shine
        .directory
        .authenticate(&creds.client_id, &creds.client_secret)?;
    let mut happened = Vec::new();
    let mut last = None;
    let response = world.stores().shine.poll(
        Ctx::of(world),
        id,
        &creds.client_id,
        (&mut happened, &mut last),
        |view| {
            http::with_type(
                StatusCode::OK,
                view.to_envelope_json().into(),
                "application/json",
            )
        },
    );
    publish(world, happened);
    if response.is_ok() {
        super::report::poll_rules(world, req, last);
    }
    response
}

pub(crate) fn create_transfer(req: &Request, world: &World) -> Result<Response> {
    let uid = bearer_user(req, world)?;
    let body: Value = req.json()?;
    let transfer = check_transfer(&world.stores().shine.directory, &uid, &req.body, "")?;
    let Some(token) = req.header("short-lived-token") else {
        return Err(ShineError::forbidden("sca_required", error::SLT_MISSING));
    };
    let mut happened = Vec::new();
    let created = world.stores().shine.spend_token_on_transfer(
        Ctx::of(world),
        token,
        &uid,
        &body,
        &transfer,
        &mut happened,
    );
    publish(world, happened);
    Ok(http::json(StatusCode::CREATED, &Envelope::new(created?)))
}

pub(crate) fn get_transfer(req: &Request, world: &World, id: &str) -> Result<Response> {
    let uid = bearer_user(req, world)?;
    let transfer = world
        .stores()
        .shine
        .transfer(id, &uid)
        .ok_or_else(|| ShineError::not_found("Bank transfer"))?;
    Ok(http::json(StatusCode::OK, &Envelope::new(transfer)))
}

pub(crate) fn authorize(req: &Request, world: &World) -> Result<Response> {
    let param = |name: &str| req.query_param(name).map(|v| v.into_owned());
    let required = |name: &str| {
        param(name).ok_or_else(|| ShineError::validation(name, format!("{name} is required")))
    };
    let client_id = required("client_id")?;
    let redirect_uri = required("redirect_uri")?;
    let directory = &world.stores().shine.directory;
    if !http::is_web_url(&redirect_uri) {
        return Err(ShineError::validation(
            "redirect_uri",
            "redirect_uri must be an absolute http or https URL",
        ));
    }
    if !directory.has_client(&client_id) {
        return Err(ShineError::client_not_found());
    }
    if !directory.registered_redirect(&client_id, &redirect_uri) {
        return Err(ShineError::new(
            StatusCode::BAD_REQUEST,
            "AUTHORIZATION_REDIRECT_URI_DOES_NOT_MATCH",
            "redirect_uri is not one this client registered (fixtures.shine.clients[].redirect_uris)",
        )
        .on_field("redirect_uri"));
    }
    if required("response_type")? != "code" {
        return Err(ShineError::validation(
            "response_type",
            "response_type must be `code`",
        ));
    }
    let uid = match param("uid") {
        Some(uid) => uid,
        None => directory
            .first_user()
            .ok_or_else(|| ShineError::not_found("User"))?
            .to_owned(),
    };
    if directory.user(&uid).is_none() {
        return Err(ShineError::not_found("User").on_field("uid"));
    }
    let code = world.stores().shine.oauth.lock().issue_code(
        Ctx::of(world),
        &client_id,
        &uid,
        &redirect_uri,
    )?;
    let mut location = redirect_uri;
    location.push(if location.contains('?') { '&' } else { '?' });
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", &code);
    if let Some(state) = param("state") {
        query.append_pair("state", &state);
    }
    location.push_str(&query.finish());
    Ok(http::redirect(StatusCode::FOUND, &location))
}

pub(crate) fn token(req: &Request, world: &World) -> Result<Response> {
    let body: TokenRequest = if req.method == Method::GET {
        req.form(true)?
    } else if req.is_form() {
        req.form(false)?
    } else {
        req.json()?
    };
    let directory = &world.stores().shine.directory;
    directory.authenticate(&body.client_id, &body.client_secret)?;
    let ctx = Ctx::of(world);
    let issued = match body.grant_type.as_str() {
        "authorization_code" => {
            let code = body.code.as_deref().ok_or_else(|| {
                ShineError::new(
                    StatusCode::BAD_REQUEST,
                    "AUTHORIZATION_CODE_MISSING",
                    "code is required with grant_type=authorization_code",
                )
                .on_field("code")
            })?;
            world.stores().shine.oauth.lock().exchange_code(
                ctx,
                &body.client_id,
                code,
                body.redirect_uri.as_deref(),
            )?
        }
        "refresh_token" => {
            let token = body.refresh_token.as_deref().ok_or_else(|| {
                ShineError::validation("refresh_token", "refresh_token is required")
            })?;
            world
                .stores()
                .shine
                .oauth
                .lock()
                .refresh(ctx, &body.client_id, token)?
        }
        other => {
            return Err(ShineError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!(
                "grant_type `{other}` is not supported; use authorization_code or refresh_token"
            ),
            )
            .on_field("grant_type"))
        }
    };
    Ok(http::json(
        StatusCode::OK,
        &token_response(directory, issued),
    ))
}

pub(crate) fn revoke(req: &Request, world: &World) -> Result<Response> {
    let body: RevokeRequest = if req.is_form() {
        req.form(false)?
    } else {
        req.json()?
    };
    world
        .stores()
        .shine
        .directory
        .authenticate(&body.client_id, &body.client_secret)?;
    world
        .stores()
        .shine
        .oauth
        .lock()
        .revoke(&body.client_id, &body.token);
    Ok(http::empty(StatusCode::NO_CONTENT))
}

fn token_response(directory: &Directory, issued: Issued) -> TokenResponse {
    let user = directory.user_info(&issued.uid);
    TokenResponse {
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        expires_in: issued.expires_in,
        metadata: TokenMetadata {
            company_profile_id: user.and_then(|u| u.company_profile_id.clone()),
            company_user_id: user.and_then(|u| u.company_user_id.clone()),
            uid: issued.uid,
        },
    }
}

/// The user behind `Authorization: Bearer`: a fixture token or an issued one.
fn bearer_user(req: &Request, world: &World) -> Result<String> {
    let token = req.bearer().ok_or_else(ShineError::missing_access_token)?;
    if let Some(uid) = world.stores().shine.directory.fixture_token_user(token) {
        return Ok(uid.to_owned());
    }
    world
        .stores()
        .shine
        .oauth
        .lock()
        .user_of(token, world.now())
        .ok_or_else(ShineError::invalid_access_token)
}

/// Validates a transfer as `POST /v3/bank/transfers` would, whether it arrives
/// there or as the payload of an action request (`prefix` names the place).
fn check_transfer<'a>(
    directory: &Directory,
    uid: &str,
    raw: &'a [u8],
    prefix: &str,
) -> Result<TransferBody<'a>> {
    let field = |name: &str| format!("{prefix}{name}");
    let transfer: TransferBody<'_> = http::decode_json(raw).map_err(|e| {
        let at = e
            .field
            .as_deref()
            .map_or_else(|| prefix.trim_end_matches('.').to_owned(), &field);
        ShineError::validation(&at, e.message)
    })?;
    if !transfer
        .amount
        .as_f64()
        .is_some_and(|a| a.is_finite() && a > 0.0)
    {
        return Err(ShineError::validation(
            &field("amount"),
            "amount must be a positive number of euros",
        ));
    }
    if directory
        .recipient_name(&transfer.bank_transfer_recipient_id)
        .is_none()
    {
        return Err(ShineError::validation(
            &field("bankTransferRecipientId"),
            format!(
                "Unknown bank transfer recipient `{}`",
                transfer.bank_transfer_recipient_id
            ),
        ));
    }
    if transfer.uid.as_deref().is_some_and(|u| u != uid) {
        return Err(ShineError::validation(
            &field("uid"),
            "uid does not match the user",
        ));
    }
    if transfer.currency.as_deref().is_some_and(|c| c != "EUR") {
        return Err(ShineError::validation(
            &field("currency"),
            "Shine accounts transfer in EUR only",
        ));
    }
    Ok(transfer)
}
