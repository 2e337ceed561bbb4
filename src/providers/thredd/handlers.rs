//! Thredd's oAuth endpoints and NotifyValidate.

use hyper::StatusCode;
use serde_json::Value;

use super::error::{echo, Result, ThreddError};
use super::model::Refusal;
use super::model::{Discovery, TokenAnswer};
use super::routes::Route;
use super::store::Ctx;
use super::store::STATUSES;
use crate::http::{self, Request, Response};
use crate::providers::CommonError;
use crate::providers::World;

pub(crate) fn handle(route: Route, req: &Request, world: &World) -> Result<Response> {
    match route {
        Route::Token => token(req, world),
        Route::Introspect => introspect(req, world),
        Route::NotifyValidate => notify_validate(req, world),
        Route::Discovery => Ok(discovery(req, world)),
        Route::Jwks => Ok(http::json(StatusCode::OK, &world.stores().thredd.jwks())),
    }
}

fn token(req: &Request, world: &World) -> Result<Response> {
    // IdentityServer takes forms only, with or without Basic.
    let form = match req.client_credentials(false) {
        Ok(form) => form,
        Err(e) => {
            return Err(ThreddError::oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &e.describe(),
            ))
        }
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return Err(ThreddError::oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ));
    }
    let (id, secret) = (
        form.client_id.unwrap_or_default(),
        form.client_secret.unwrap_or_default(),
    );
    if !world.stores().thredd.client(&id, &secret, "pm") {
        return Err(ThreddError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client or wrong secret",
        ));
    }
    let scope = vec!["client_validate", "firbiometricapi"];
    let (token, expires_in) = match world.stores().thredd.mint(Ctx::of(world), &id, scope) {
        Ok(minted) => minted,
        Err(full) => return Err(CommonError::TooMany(full).into()),
    };
    Ok(http::json(
        StatusCode::OK,
        &TokenAnswer {
            access_token: token,
            expires_in,
            token_type: "Bearer",
            scope: "client_validate firbiometricapi",
        },
    ))
}

/// IdentityServer's discovery document, for a program manager that checks
/// NotifyInitiateAction's token itself: the issuer, where its keys are, and
/// its endpoints, on the host the request came to.
fn discovery(req: &Request, world: &World) -> Response {
    let base = format!("{}{}/thredd", req.origin(), world.base_path());
    http::json(
        StatusCode::OK,
        &Discovery {
            issuer: &world.settings().thredd.issuer,
            jwks_uri: format!("{base}/.well-known/openid-configuration/jwks"),
            token_endpoint: format!("{base}/connect/token"),
            introspection_endpoint: format!("{base}/connect/introspect"),
            grant_types_supported: ["client_credentials"],
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
            scopes_supported: ["client_validate", "firbiometricapi"],
            id_token_signing_alg_values_supported: [world.settings().thredd.signing_alg.name()],
        },
    )
}

/// RFC 7662, for the separate validator client.
fn introspect(req: &Request, world: &World) -> Result<Response> {
    // IdentityServer takes forms only, with or without Basic.
    let form = match req.client_credentials(false) {
        Ok(form) => form,
        Err(e) => {
            return Err(ThreddError::oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &e.describe(),
            ))
        }
    };
    let (id, secret) = (
        form.client_id.unwrap_or_default(),
        form.client_secret.unwrap_or_default(),
    );
    if !world.stores().thredd.client(&id, &secret, "validator") {
        return Err(ThreddError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Introspection needs the validator client's credentials",
        ));
    }
    let Some(token) = form.token else {
        return Err(ThreddError::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is required",
        ));
    };
    Ok(http::json(
        StatusCode::OK,
        &world
            .stores()
            .thredd
            .introspect(world.now(), &world.settings().thredd.issuer, &token),
    ))
}

/// NotifyValidate answers by echoing the request with `Error` filled on failure.
fn notify_validate(req: &Request, world: &World) -> Result<Response> {
    if !req
        .bearer()
        .is_some_and(|t| world.stores().thredd.bearer_ok(world.now(), t))
    {
        return Err(ThreddError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "A Bearer token from /connect/token is required",
        ));
    }
    let body: Value = match http::decode_json(&req.body) {
        Ok(body) => body,
        Err(e) => {
            let refusal = refusal(world, "Invalid JSON", &e.describe());
            super::report::refused(world, req, &refusal);
            return Err(ThreddError::Refused {
                request: Value::Null,
                refusal,
            });
        }
    };
    let outcome = check(world, &body).and_then(|(id, pubtoken, status, reference)| {
        world
            .stores()
            .thredd
            .validate(Ctx::of(world), id, pubtoken, status, reference)
    });
    match outcome {
        Ok(validated) => {
            super::report::validated(world, req, &validated);
            let id = body["GPSInitiateActionID"].as_str().unwrap_or_default();
            super::validated(world, id, validated);
            Ok(echo(StatusCode::OK, &body, &Refusal::none()))
        }
        Err(refusal) => {
            super::report::refused(world, req, &refusal);
            Err(ThreddError::Refused {
                request: body,
                refusal,
            })
        }
    }
}

fn refusal(world: &World, description: &'static str, message: &str) -> Refusal {
    Refusal {
        reference: world.ids().hex(12).to_uppercase(),
        description,
        message: message.to_owned(),
    }
}

/// The field checks of NotifyValidate, before the session is looked at.
fn check<'a>(
    world: &World,
    body: &'a Value,
) -> std::result::Result<(&'a str, u64, &'static str, &'a str), Refusal> {
    let bad = |message: &str| refusal(world, "Invalid request", message);
    let pubtoken = body["Pubtoken"]
        .as_u64()
        .filter(|p| *p <= 999_999_999)
        .ok_or_else(|| bad("Pubtoken must be a number of at most 9 digits"))?;
    if body["ProgMgrCode"].as_str() != Some(world.settings().thredd.prog_mgr_code.as_str()) {
        return Err(bad("ProgMgrCode does not match the program manager"));
    }
    let id = body["GPSInitiateActionID"]
        .as_str()
        .filter(|id| id.len() == 36)
        .ok_or_else(|| {
            bad("GPSInitiateActionID must be the 36-character id of NotifyInitiateAction")
        })?;
    let reference = body["PMReferenceID"]
        .as_str()
        .filter(|r| !r.is_empty() && r.len() <= 36)
        .ok_or_else(|| bad("PMReferenceID must be 1 to 36 characters"))?;
    let status = body["Status"]
        .as_str()
        .and_then(|s| STATUSES.iter().find(|known| **known == s).copied())
        .ok_or_else(|| bad("Status must be SUCCESS, STEPUP, FAILURE, FAILWITHFEEDBACK or ERROR"))?;
    Ok((id, pubtoken, status, reference))
}
