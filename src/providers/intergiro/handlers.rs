//! Intergiro's API: session auth, the actions that need consent, and consents.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use hyper::StatusCode;
use serde_json::Value;

use super::error::{self, IntergiroError};
use super::model::{
    AccountDetails, ConsentRequired, Counterparty, Initiate, Initiated, Login, Method, Refresh,
    Tokens, Transaction,
};
use super::routes::Route;
use super::store::Ctx;
use super::store::{stamp, Gate, Guarded, RefreshError, Status, Summary};
use super::{cards, moves, onboarding, page, payment_methods, publish};
use crate::http::{self, Request, Response};
use crate::providers::CommonError;
use crate::providers::World;

pub(super) type Result<T> = std::result::Result<T, IntergiroError>;

/// Runs one of Intergiro's operations; all but login, refresh and the
/// consent page need a valid access token.
pub(crate) fn handle(route: Route, req: &Request, world: &World) -> Result<Response> {
    let answer = route_to(route, req, world);
    super::report::answered(world, req, &answer);
    answer
}

fn route_to(route: Route, req: &Request, world: &World) -> Result<Response> {
    match route {
        Route::Login => login(req, world),
        Route::Refresh => refresh(req, world),
        Route::ConsentPage => Ok(page::view(req, world)),
        Route::SubmitConsentPage => Ok(page::submit(req, world)),
        Route::OnboardingPage => Ok(onboarding::view(req, world)),
        Route::SubmitOnboardingPage => Ok(onboarding::submit(req, world)),
        route => authenticate(req, world).and_then(|()| match route {
            Route::Pay => pay(req, world),
            Route::CardCredentials(id) => cards::card_credentials(world, &id),
            Route::ActivateCard(id) => cards::activate_card(world, &id),
            Route::AccountTransactions(id) => cards::account_transactions(world, &id),
            Route::InitiateConsent(id) => initiate_consent(req, world, &id),
            Route::GetConsent(id) => get_consent(world, &id),
            Route::CreateIndividual => onboarding::create(req, world),
            Route::GetIndividual(id) => onboarding::get(world, &id),
            Route::GetEvent(id) => super::webhooks::get(world, &id),
            Route::Onboard(id) => onboarding::onboard(req, world, &id),
            Route::Move => moves::transfer(req, world),
            Route::BankDetails(id) => moves::bank_details(world, &id),
            Route::UpdateCard(id) => cards::update_card(req, world, &id),
            Route::CreatePaymentMethod(id) => payment_methods::create(req, world, &id),
            Route::ListPaymentMethods(id) => payment_methods::list(world, &id),
            Route::TokenizeApplePay(id) => payment_methods::tokenize(world, &id),
            _ => Err(CommonError::NotFound.into()),
        }),
    }
}

fn login(req: &Request, world: &World) -> Result<Response> {
    let body: Login = req.json().map_err(error::decode)?;
    let (access, refresh) = world
        .stores()
        .intergiro
        .login(Ctx::of(world), &body.api_key)
        .map_err(error::too_many)?
        .ok_or_else(|| error::unauthorized("Invalid API key"))?;
    Ok(http::json(
        StatusCode::OK,
        &Tokens {
            access_token: access,
            refresh_token: refresh,
        },
    ))
}

pub(crate) fn refresh(req: &Request, world: &World) -> Result<Response> {
    let body: Refresh = req.json().map_err(error::decode)?;
    let (access, refresh) = world
        .stores()
        .intergiro
        .refresh(Ctx::of(world), &body.refresh_token)
        .map_err(|e| match e {
            RefreshError::Refused(message) => error::with(
                StatusCode::BAD_REQUEST,
                "invalid_refresh",
                Some("refresh_token"),
                message,
            ),
            RefreshError::Full(full) => error::too_many(full),
        })?;
    Ok(http::json(
        StatusCode::OK,
        &Tokens {
            access_token: access,
            refresh_token: refresh,
        },
    ))
}

pub(crate) fn authenticate(req: &Request, world: &World) -> Result<()> {
    if world
        .stores()
        .intergiro
        .authenticated(world.now(), req.bearer())
    {
        Ok(())
    } else {
        Err(error::unauthorized(
            "The session expired or the access token is invalid; log in or refresh",
        ))
    }
}

fn fingerprint(value: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.to_string().hash(&mut hasher);
    hasher.finish()
}

/// Runs `act` when consent allows; otherwise the 412, the refusal or the
/// duplicate answer.
pub(super) fn guarded(
    world: &World,
    key: String,
    fingerprint: u64,
    once: bool,
    scope: &'static str,
    summary: impl FnOnce() -> Summary,
    act: impl FnOnce() -> Response,
) -> Result<Response> {
    let mut events = Vec::new();
    let action = Guarded {
        key,
        fingerprint,
        once,
        scope,
    };
    let mut broke = None;
    let gate =
        world
            .stores()
            .intergiro
            .gate(Ctx::of(world), action, summary, (&mut events, &mut broke));
    publish(world, events);
    // The rule the call broke rides on the answer to `handle`, which knows
    // the request.
    let marked = |mut res: Response| {
        if let Some(rule) = broke {
            res.extensions_mut().insert(super::report::Broke(rule));
        }
        res
    };
    match gate {
        Gate::Consent(consent) => Ok(marked(http::json(
            StatusCode::PRECONDITION_FAILED,
            &ConsentRequired { consent },
        ))),
        Gate::Proceed => Ok(marked(act())),
        Gate::Declined(id) => Err(error::with(
            StatusCode::FORBIDDEN,
            "consent_declined",
            None,
            &format!("The user declined consent {id}; start the action again to ask anew"),
        )),
        Gate::Duplicate => Err(error::with(
            StatusCode::CONFLICT,
            "duplicate_request",
            Some("request_id"),
            "This request_id was already executed or used for a different payment",
        )),
        Gate::Full(full) => Err(error::too_many(full)),
    }
}

pub(crate) fn pay(req: &Request, world: &World) -> Result<Response> {
    let body: Value = req.json().map_err(error::decode)?;
    let field = |name: &str, message: &str| {
        error::with(
            StatusCode::BAD_REQUEST,
            "invalid input",
            Some(name),
            message,
        )
    };
    let request_id = body["request_id"]
        .as_str()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| field("request_id", "request_id is required"))?;
    let account_id = body["account_id"]
        .as_str()
        .ok_or_else(|| field("account_id", "account_id is required"))?;
    let account = world
        .stores()
        .intergiro
        .fixtures
        .accounts
        .iter()
        .find(|a| a.id.value == account_id)
        .ok_or_else(|| {
            error::with(
                StatusCode::NOT_FOUND,
                "not found",
                Some("account_id"),
                "No such account",
            )
        })?
        .clone();
    let amount = body["amount"]
        .as_i64()
        .filter(|a| *a > 0)
        .ok_or_else(|| field("amount", "amount is a positive whole number of minor units"))?;
    let counterparty = &body["counterparty"];
    let name = counterparty["name"]
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| field("counterparty.name", "counterparty.name is required"))?;
    no_null(&body, "/reference", "reference")?;
    no_null(
        &body,
        "/counterparty/account/bic",
        "counterparty.account.bic",
    )?;
    let reference = match &body["reference"] {
        Value::Null => "",
        Value::String(r) => r,
        _ => return Err(field("reference", "reference is text")),
    };
    match &body["counterparty"]["account"]["bic"] {
        Value::Null => {}
        Value::String(bic) if crate::validate::is_bic(bic) => {}
        _ => {
            return Err(field(
                "counterparty.account.bic",
                "counterparty.account.bic is a BIC of 8 or 11 characters",
            ))
        }
    }
    if reference.chars().count() > 140 {
        return Err(field("reference", "reference is at most 140 characters"));
    }
    let currency = account.currency.clone();
    let transaction = |counterparty: Counterparty<'_>| {
        let answer = Transaction {
            id: world.ids().uuid().to_string(),
            kind: "bank-transfer",
            amount,
            currency: &currency,
            status: "pending",
            account_id,
            reference,
            counterparty,
            created_at: stamp(&world.now()),
        };
        http::json(StatusCode::OK, &answer)
    };
    // To another Intergiro account: no consent needed.
    if let Some(internal) = counterparty["account_id"].as_str() {
        let Some(payee) = world
            .stores()
            .intergiro
            .fixtures
            .accounts
            .iter()
            .find(|a| a.id.value == internal)
        else {
            return Err(field(
                "counterparty.account_id",
                "No such Intergiro account",
            ));
        };
        // As Intergiro answers: the payee account's bank details beside its id.
        return Ok(transaction(Counterparty {
            name,
            account_id: Some(internal),
            account_details: payee.iban.as_deref().map(AccountDetails::sepa),
        }));
    }
    let iban = counterparty["account"]["iban"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !crate::validate::is_iban(&iban) {
        return Err(field(
            "counterparty.account.iban",
            "a valid IBAN, or counterparty.account_id, is required",
        ));
    }
    let summary = || Summary {
        title: "Confirm payment".to_owned(),
        amount: Some(crate::display::money(amount, 2, &account.currency)),
        payee: Some(name.to_owned()),
        iban: Some(iban.clone()),
        reference: Some(reference.to_owned()).filter(|r| !r.is_empty()),
        account: Some(account_id.to_owned()),
        ..Summary::default()
    };
    guarded(
        world,
        format!("pay:{request_id}"),
        fingerprint(&body),
        true,
        "make_payment",
        summary,
        || {
            transaction(Counterparty {
                name,
                account_id: None,
                account_details: Some(AccountDetails::sepa(&iban)),
            })
        },
    )
}

/// The portal's optional fields are left out, never sent as `null`: a
/// `null` is refused, naming the field.
pub(super) fn no_null(body: &Value, pointer: &str, name: &str) -> Result<()> {
    match body.pointer(pointer) {
        Some(Value::Null) => Err(error::with(
            StatusCode::BAD_REQUEST,
            "invalid input",
            Some(name),
            &format!("{name} may be left out, but not sent as null"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn initiate_consent(req: &Request, world: &World, id: &str) -> Result<Response> {
    let body: Initiate = if req.body_is_empty() {
        Initiate::default()
    } else {
        let raw: Value = req.json().map_err(error::decode)?;
        no_null(&raw, "/return_url", "return_url")?;
        req.json().map_err(error::decode)?
    };
    // Checked here, before the user ever sees the page: only http and https.
    if let Some(url) = &body.return_url {
        if !http::is_web_url(url) {
            return Err(error::with(
                StatusCode::BAD_REQUEST,
                "invalid input",
                Some("return_url"),
                "return_url must be an absolute http or https URL",
            ));
        }
    }
    let (token, expires) = world
        .stores()
        .intergiro
        .initiate(Ctx::of(world), id, body.return_url)
        .map_err(|status| consent_state_error(id, status))?;
    publish(world, vec![("consent.initiated", id.to_owned())]);
    let (origin, base) = (req.origin(), world.base_path());
    let redirect_url = format!("{origin}{base}/intergiro/sca/consent?token={token}");
    Ok(http::json(
        StatusCode::OK,
        &Initiated {
            method: Method {
                redirect_url,
                token,
                expires_at: stamp(&expires),
            },
        },
    ))
}

pub(crate) fn consent_state_error(id: &str, status: Option<Status>) -> IntergiroError {
    match status {
        None => error::with(
            StatusCode::NOT_FOUND,
            "not found",
            None,
            &format!("No consent {id}"),
        ),
        Some(status) => error::with(
            StatusCode::CONFLICT,
            "conflict",
            None,
            &format!("The consent is {}", status.name()),
        ),
    }
}

pub(crate) fn get_consent(world: &World, id: &str) -> Result<Response> {
    let mut events = Vec::new();
    let view = world
        .stores()
        .intergiro
        .consent(Ctx::of(world), id, &mut events);
    publish(world, events);
    view.map(|v| http::json(StatusCode::OK, &v))
        .ok_or_else(|| consent_state_error(id, None))
}
