//! One function per Solaris operation.

use hyper::StatusCode;
use serde_json::{json, Value};

use super::activation::CreateActivation;
use super::change_requests::Action;
use super::checks::{check_e164, check_iban, check_person_patch, check_transfer};
use super::devices;
use super::error::SolarisError;
use super::model::{
    AddKey, Authorize, Confirm, DeviceChallengeRequest, Iban, LegacyToken, Number, NumberWithToken,
    OAuth2Token, PersonId, Register, Signature, Token,
};
use super::routes::Route;
use super::store::Ctx;
use super::webhooks;
use crate::http::{self, ClientCredentials, Request, Response};
use crate::providers::Provider;
use crate::providers::World;

type Result<T> = std::result::Result<T, SolarisError>;

fn ok(status: StatusCode, body: &impl serde::Serialize) -> Result<Response> {
    Ok(http::json(status, body))
}

pub(crate) fn handle(route: Route, req: &Request, world: &World) -> Result<Response> {
    let flat = route.is_mfa_challenge();
    let answer = route_to(route, req, world);
    if let Err(error) = &answer {
        super::report::refused(world, req, error);
    }
    if flat {
        answer.map_err(SolarisError::flat)
    } else {
        answer
    }
}

fn route_to(route: Route, req: &Request, world: &World) -> Result<Response> {
    let store = &world.stores().solaris;
    let c = Ctx::of(world);
    if !matches!(route, Route::Token | Route::OAuth2Token) {
        store.check_token(c.now, req.bearer())?;
    }
    match route {
        Route::Token => token(req, world),
        Route::OAuth2Token => oauth2_token(req, world),
        Route::GetPerson(id) => ok(StatusCode::OK, &store.person_view(&id)?),
        Route::UpdatePerson(id) => {
            let patch: Value = req.json()?;
            check_person_patch(&patch)?;
            store.person_view(&id)?;
            hold(req, world, &id, Action::UpdatePerson { patch })
        }
        Route::GetMobile(id) => ok(StatusCode::OK, &store.mobile_number(&id)?),
        Route::AddMobile(id) => {
            let body: Number = req.json()?;
            check_e164(&body.number)?;
            let added = store.add_mobile_number(c, &id, &body.number)?;
            webhooks::notify(world, "PERSON_MOBILE_NUMBER_CREATED", &id, json!({}));
            ok(StatusCode::CREATED, &added)
        }
        Route::ListWebhooks => ok(StatusCode::OK, &store.subscriptions.list()),
        Route::CreateWebhook => {
            let created = super::subscriptions::subscribe(world, req.json()?)?;
            ok(StatusCode::CREATED, &created)
        }
        Route::GetWebhook(id) => ok(StatusCode::OK, &store.subscriptions.get(&id)?),
        Route::DeleteWebhook(id) => ok(StatusCode::OK, &store.subscriptions.delete(&id)?),
        Route::DeleteMobile(id) => {
            store.mobile_number(&id)?;
            hold(req, world, &id, Action::DeleteMobileNumber)
        }
        Route::AuthorizeMobile(id) => {
            let body: Number = req.json()?;
            let (view, sms) = store.authorize_mobile_number(c, &id, &body.number)?;
            world.send_sms(sms);
            ok(StatusCode::CREATED, &view)
        }
        Route::ConfirmMobile(id) => {
            let body: NumberWithToken = req.json()?;
            ok(
                StatusCode::CREATED,
                &store.confirm_mobile_number(c.now, &id, &body.number, &body.token)?,
            )
        }
        Route::SepaTransfer { person, account } => {
            let body: Value = req.json()?;
            check_transfer(&body)?;
            let amount = body["amount"]["value"].as_i64().unwrap_or(0);
            if store.balance(&person, &account)? < amount {
                return Err(SolarisError::new(
                    StatusCode::BAD_REQUEST,
                    "insufficient_funds",
                    "Insufficient Funds",
                    "The account balance is too low",
                ));
            }
            hold(
                req,
                world,
                &person,
                Action::SepaCreditTransfer {
                    account_id: account,
                    body,
                },
            )
        }
        Route::ListTrustedIbans(id) => ok(StatusCode::OK, &store.trusted_ibans(&id)?),
        Route::AddTrustedIban(id) => {
            let body: Iban = req.json()?;
            check_iban("iban", &body.iban)?;
            store.person_view(&id)?;
            hold(req, world, &id, Action::AddTrustedIban { iban: body.iban })
        }
        Route::CreateSmsChallenge => {
            let body: PersonId = req.json()?;
            let (view, sms) = store.create_sms_challenge(c, &body.person_id)?;
            world.send_sms(sms);
            ok(StatusCode::CREATED, &view)
        }
        Route::GetSmsChallenge(id) => ok(StatusCode::OK, &store.sms_challenge(&id)?),
        Route::VerifySmsChallenge(id) => {
            let body: Token = req.json()?;
            store.verify_sms_challenge(c.now, &id, &body.token)?;
            verified(world, "sms_challenge", id);
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::GetSignatureChallenge(id) => {
            ok(StatusCode::OK, &store.signature_challenge(c.now, &id)?)
        }
        Route::VerifySignatureChallenge(id) => {
            let body: Signature = req.json()?;
            let device = store.verify_binding(c, &id, &body.signature)?;
            world.emit(
                Provider::Solaris,
                "device.bound",
                device,
                c.now,
                Value::Null,
            );
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::CreateDeviceChallenge => {
            let body: DeviceChallengeRequest = req.json()?;
            // Omitted or empty: the device's key is chosen by the store.
            let purpose = match body.key_purpose.as_deref() {
                None | Some("") => None,
                given => Some(devices::purpose("key_purpose", given)?),
            };
            ok(
                StatusCode::CREATED,
                &store.create_device_challenge(c, &body.device_id, purpose)?,
            )
        }
        Route::VerifyDeviceChallenge(id) => {
            let body: Signature = req.json()?;
            store.verify_device_challenge(
                c.now,
                &id,
                body.device_id.as_deref(),
                &body.signature,
            )?;
            verified(world, "device_challenge", id);
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::CreateActivationChallenge => {
            let body: CreateActivation = req.json()?;
            let invalidate = req.query_param("invalidate_existing_code").as_deref() == Some("true");
            ok(
                StatusCode::CREATED,
                &store.create_activation(c, body, invalidate)?,
            )
        }
        Route::GetActivationChallenge(id) => ok(StatusCode::OK, &store.activation(&id)?),
        Route::DeleteActivationChallenge(id) => {
            store.expire_activation(c.now, &id)?;
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::ListDevices => {
            let person = req
                .query_param("person_id")
                .ok_or_else(|| SolarisError::validation("person_id", "person_id is required"))?;
            ok(StatusCode::OK, &store.list_devices(&person))
        }
        Route::CreateDevice => {
            let body: Register = req.json()?;
            let (view, sms) = store.register_device(c, body)?;
            if let Some(sms) = sms {
                world.send_sms(sms);
            }
            ok(StatusCode::ACCEPTED, &view)
        }
        Route::GetDevice(id) => ok(StatusCode::OK, &store.device(&id)?),
        Route::DeleteDevice(id) => {
            store.delete_device(&id)?;
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::ListDeviceKeys(id) => ok(StatusCode::OK, &store.device_keys(&id)?),
        Route::AddDeviceKey(id) => {
            let body: AddKey = req.json()?;
            ok(StatusCode::CREATED, &store.add_device_key(c, &id, body)?)
        }
        Route::GetChangeRequest(id) => {
            let view = store.change_request(c.now, &id)?;
            ok(StatusCode::OK, &view.absolute(req, world.base_path()))
        }
        Route::AuthorizeChangeRequest(id) => {
            let body: Authorize = req.json()?;
            let (view, sms) = store.authorize(c, &id, body)?;
            if let Some(sms) = sms {
                world.send_sms(sms);
            }
            world.emit(
                Provider::Solaris,
                "change_request.authorized",
                id,
                c.now,
                Value::Null,
            );
            ok(StatusCode::CREATED, &view.absolute(req, world.base_path()))
        }
        Route::ConfirmChangeRequest(id) => {
            let body: Confirm = req.json()?;
            let result = store.confirm(c, &id, body);
            let person = store.person_of_change_request(&id);
            let kind = if result.is_ok() {
                "change_request.completed"
            } else {
                "change_request.refused"
            };
            world.emit(Provider::Solaris, kind, id, c.now, Value::Null);
            let view = result?;
            if let Some(person) = person {
                webhooks::confirmed(world, &person, &view);
            }
            ok(StatusCode::CREATED, &view)
        }
    }
}

fn hold(req: &Request, world: &World, person: &str, action: Action) -> Result<Response> {
    let view = world
        .stores()
        .solaris
        .hold(Ctx::of(world), person, action)?;
    world.emit(
        Provider::Solaris,
        "change_request.created",
        view.id.clone(),
        world.now(),
        Value::Null,
    );
    ok(StatusCode::ACCEPTED, &view.absolute(req, world.base_path()))
}

fn verified(world: &World, what: &str, id: String) {
    world.emit(
        Provider::Solaris,
        "challenge.verified",
        id,
        world.now(),
        json!({ "challenge": what }),
    );
}

/// Client credentials as JSON, or as a form (body or query) with Basic auth.
fn token(req: &Request, world: &World) -> Result<Response> {
    let body = req.client_credentials(true)?;
    if body.grant_type.as_deref() != Some("client_credentials") {
        return Err(SolarisError::validation(
            "grant_type",
            "grant_type must be client_credentials",
        ));
    }
    let (Some(id), Some(secret)) = (body.client_id, body.client_secret) else {
        return Err(SolarisError::unauthorized(
            "Client credentials are required",
        ));
    };
    let c = Ctx::of(world);
    let token = world.stores().solaris.issue_token(c, &id, &secret)?;
    ok(
        StatusCode::CREATED,
        &LegacyToken {
            token_type: "Bearer",
            expires_in: c.settings.token_ttl.0.as_secs(),
            access_token: token,
        },
    )
}

/// The OAuth2 server's client-credentials grant, as Solaris documents it:
/// the client in HTTP Basic, a form body with `grant_type=client_credentials`
/// and `scope=partners`; errors as RFC 6749 writes them.
fn oauth2_token(req: &Request, world: &World) -> Result<Response> {
    let refuse = |status, error, description: &str| SolarisError::oauth(status, error, description);
    let Some((id, secret)) = req.basic_auth() else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client authenticates with HTTP Basic: client_id:client_secret",
        ));
    };
    if !req.is_form() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The body must be application/x-www-form-urlencoded",
        ));
    }
    let form: ClientCredentials = req
        .form(false)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, "invalid_request", &e.describe()))?;
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be client_credentials",
            ))
        }
        None => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ))
        }
    }
    if form.scope.as_deref() != Some("partners") {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope must be partners",
        ));
    }
    let c = Ctx::of(world);
    let token = world
        .stores()
        .solaris
        .issue_token(c, &id, &secret)
        .map_err(|e| match e.status {
            StatusCode::UNAUTHORIZED => refuse(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Unknown client or wrong secret",
            ),
            status => refuse(status, e.code, &e.detail),
        })?;
    ok(
        StatusCode::OK,
        &OAuth2Token {
            access_token: token,
            expires_in: c.settings.token_ttl.0.as_secs(),
            scope: "partners",
            token_type: "bearer",
        },
    )
}
