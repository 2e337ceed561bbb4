//! Intergiro's individuals and their onboarding: create, read, onboard
//! (412 with a pending consent first, then the form link), and the hosted
//! onboarding form at `/intergiro/onboarding?token=...`.

use hyper::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::error;
use super::handlers::{guarded, no_null, Result};
use super::individuals::Individual;
use super::model::Initiate;
use super::store::{stamp, Ctx, Summary};
use super::{page, publish};
use crate::http::{self, Request, Response};
use crate::providers::World;

/// Where the form posts, below the tenant's base path.
const ACTION: &str = "/intergiro/onboarding";

/// A required text field of `body`, not empty.
fn text<'a>(body: &'a Value, name: &str) -> Result<&'a str> {
    body[name]
        .as_str()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| error::invalid(name, &format!("{name} is required text")))
}

/// `POST /v3/individuals`: the onboarding guide's fields; `address` may be
/// left out, and when given has a country, a street, a city and a postal
/// code.
pub(crate) fn create(req: &Request, world: &World) -> Result<Response> {
    let body: Value = req.json().map_err(error::decode)?;
    let email = text(&body, "email")?;
    if !crate::validate::is_email(email) {
        return Err(error::invalid("email", "email is not an email address"));
    }
    let phone = text(&body, "phone_number")?;
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error::invalid(
            "phone_number",
            "phone_number is 6 to 15 digits",
        ));
    }
    let born = text(&body, "date_of_birth")?;
    if chrono::NaiveDate::parse_from_str(born, "%Y-%m-%d").is_err() {
        return Err(error::invalid(
            "date_of_birth",
            "date_of_birth is a date, YYYY-MM-DD",
        ));
    }
    no_null(&body, "/address", "address")?;
    let address = body.get("address").cloned().unwrap_or(Value::Null);
    if !address.is_null() {
        for field in ["street1", "city", "postal_code"] {
            text(&address, field).map_err(|_| {
                error::invalid(
                    &format!("address.{field}"),
                    &format!("address.{field} is required text"),
                )
            })?;
        }
        let country = address["country_code"].as_str().unwrap_or_default();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(error::invalid(
                "address.country_code",
                "address.country_code is two capital letters",
            ));
        }
    }
    let individual = Individual {
        id: world.ids().uuid().to_string(),
        first_name: text(&body, "first_name")?.to_owned(),
        last_name: text(&body, "last_name")?.to_owned(),
        email: email.to_owned(),
        phone_number: phone.to_owned(),
        date_of_birth: born.to_owned(),
        address,
        status: "created",
        created_at: stamp(&world.now()),
        form: None,
        method_consents: Vec::new(),
        methods: Vec::new(),
    };
    let created = world
        .stores()
        .intergiro
        .individuals
        .create(Ctx::of(world), individual)
        .map_err(error::too_many)?;
    publish(world, vec![("individual.created", created.id.clone())]);
    Ok(http::json(StatusCode::OK, &created))
}

pub(crate) fn get(world: &World, id: &str) -> Result<Response> {
    let individual = world
        .stores()
        .intergiro
        .individuals
        .get(id)
        .ok_or_else(|| error::not_found("No such individual"))?;
    Ok(http::json(StatusCode::OK, &individual))
}

#[derive(Serialize)]
struct FormLink {
    redirect_url: String,
    expires_at: String,
}

/// `POST /v3/individuals/{id}/onboard {return_url?}`: KYC needs the user's
/// consent (412), then answers the form link.
pub(crate) fn onboard(req: &Request, world: &World, id: &str) -> Result<Response> {
    let raw: Value = if req.body_is_empty() {
        Value::Object(Default::default())
    } else {
        req.json().map_err(error::decode)?
    };
    no_null(&raw, "/return_url", "return_url")?;
    let body: Initiate = serde_json::from_value(raw)
        .map_err(|_| error::invalid("return_url", "return_url is text"))?;
    if let Some(url) = &body.return_url {
        if !http::is_web_url(url) {
            return Err(error::invalid(
                "return_url",
                "return_url must be an absolute http or https URL",
            ));
        }
    }
    let store = &world.stores().intergiro;
    let individual = store
        .individuals
        .get(id)
        .ok_or_else(|| error::not_found("No such individual"))?;
    if matches!(individual.status, "active" | "blocked") {
        return Err(error::with(
            StatusCode::CONFLICT,
            "conflict",
            None,
            &format!(
                "The individual is {}; onboarding is over",
                individual.status
            ),
        ));
    }
    let summary = || Summary {
        title: "Open your account".to_owned(),
        payee: Some(format!(
            "{} {}",
            individual.first_name, individual.last_name
        )),
        ..Summary::default()
    };
    let origin = req.origin();
    let mut outcome = Ok(());
    let answer = guarded(
        world,
        format!("onboard:{id}"),
        0,
        false,
        "onboarding",
        summary,
        || match store
            .individuals
            .request(Ctx::of(world), id, body.return_url.clone())
        {
            Ok((token, expires_at)) => {
                let base = world.base_path();
                http::json(
                    StatusCode::OK,
                    &FormLink {
                        redirect_url: format!("{origin}{base}{ACTION}?token={token}"),
                        expires_at: stamp(&expires_at),
                    },
                )
            }
            Err(status) => {
                outcome = Err(status);
                http::empty(StatusCode::CONFLICT)
            }
        },
    )?;
    match outcome {
        Ok(()) => {
            if answer.status() == StatusCode::OK {
                publish(
                    world,
                    vec![("individual.onboarding_requested", id.to_owned())],
                );
            }
            Ok(answer)
        }
        Err(status) => Err(error::with(
            StatusCode::CONFLICT,
            "conflict",
            None,
            &format!("The individual is {status}; onboarding is over"),
        )),
    }
}

#[derive(Serialize)]
struct FormPage<'a> {
    name: String,
    email: &'a str,
    token: &'a str,
    action: String,
}

/// `GET /intergiro/onboarding?token=...`: the form, for a live link.
pub(crate) fn view(req: &Request, world: &World) -> Response {
    // A link without its token is malformed (400), as the consent page's.
    let Some(token) = req.query_param("token") else {
        return malformed(world);
    };
    match world
        .stores()
        .intergiro
        .individuals
        .form(world.now(), &token)
    {
        Some(individual) => page::render(
            world,
            StatusCode::OK,
            "intergiro/onboarding",
            &FormPage {
                name: format!("{} {}", individual.first_name, individual.last_name),
                email: &individual.email,
                token: &token,
                action: format!("{}{ACTION}", world.base_path()),
            },
        ),
        None => page::gone(world),
    }
}

/// `POST /intergiro/onboarding`: the user sends the form; then 303 to
/// `return_url` with `individual_id` and `status`.
pub(crate) fn submit(req: &Request, world: &World) -> Response {
    #[derive(serde::Deserialize)]
    struct Sent {
        token: String,
    }
    let Ok(sent) = req.form::<Sent>(false) else {
        return malformed(world);
    };
    let review = world.settings().intergiro.onboarding_review;
    let Some(provided) =
        world
            .stores()
            .intergiro
            .individuals
            .provide(world.now(), &sent.token, review)
    else {
        return page::gone(world);
    };
    let mut events = vec![("individual.onboarding_data_provided", provided.id.clone())];
    match provided.status {
        "active" => events.push(("individual.activated", provided.id.clone())),
        "blocked" => events.push(("individual.blocked", provided.id.clone())),
        _ => {}
    }
    publish(world, events);
    match provided.return_url {
        Some(mut location) => {
            location.push(if location.contains('?') { '&' } else { '?' });
            location.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .append_pair("individual_id", &provided.id)
                    .append_pair("status", provided.status)
                    .finish(),
            );
            http::redirect(StatusCode::SEE_OTHER, &location)
        }
        None => page::message(
            world,
            StatusCode::OK,
            "Details sent",
            "You can close this window and return to the app.",
        ),
    }
}

fn malformed(world: &World) -> Response {
    page::message(
        world,
        StatusCode::BAD_REQUEST,
        "This link is not valid",
        "The onboarding link is missing its token. Return to the app and start again.",
    )
}
