//! Solaris: SMS and device-signing challenges, device binding, and change
//! requests (202 → authorize → confirm).
//!
//! Imitates <https://docs.solarisgroup.com/guides/authentication/strong-customer-authentication>
//! and the device-management API reference.
//!
//! Fidelity, what is not emulated:
//! - the many other guarded actions (standing orders, cards, batch transfers);
//! - `device_data` (Seon), and the delivery events of activation codes;
//! - OAuth scopes: every token may call every endpoint.

mod actions;
mod activation;
mod change_requests;
mod checks;
pub(crate) mod config;
mod control;
mod device_challenges;
mod devices;
mod error;
mod handlers;
mod model;
mod persons;
mod report;
pub(crate) mod routes;
mod store;
mod subscriptions;
mod virtual_devices;
mod webhooks;

use serde_json::Value;

pub(crate) use model::Purpose;
pub(crate) use store::Store;

use self::error::SolarisError;
use self::routes::Route;
use self::store::Ctx;
use crate::http::{Request, Response};
use crate::providers::SectionsMut;
use crate::providers::Users;
use crate::providers::World;
use crate::providers::{Provider, ProviderApi, SignIn};
use crate::terms::SmsUser;

/// Marker type through which the router drives Solaris.
#[derive(Debug)]
pub(crate) struct Solaris;

impl ProviderApi for Solaris {
    const PROVIDER: Provider = Provider::Solaris;
    /// The sandbox and production API hosts of the reference.
    const HOSTS: &'static [&'static str] = &["api.solaris-sandbox.de", "api.solarisbank.de"];
    type Route = Route;
    const OUTBOUND_OPERATIONS: &'static [&'static str] = webhooks::OPERATIONS;
    const RULES: &'static [crate::report::Rule] = report::RULES;
    const CHECK_WEBHOOK: Option<crate::providers::webhooks::Check> = Some(webhooks::check);
    const TEMPLATES: &'static [(&'static str, &'static str)] = &[(
        "solaris/pending",
        include_str!("../../../templates/solaris/pending.hbs"),
    )];
    /// A person needs a partner token.
    #[cfg(test)]
    const SIGNED_IN_PROBE: (&'static str, &'static str, &'static str, u16) =
        ("GET", "/v1/persons/person-1", "", 200);
    const SIGN_IN: &'static [SignIn] = &[SignIn::Token {
        path: "/oauth/token",
        body: r#"{"grant_type":"client_credentials","client_id":"solaris-client","client_secret":"solaris-secret"}"#,
        form: false,
        field: "access_token",
    }];

    type Error = SolarisError;

    fn handle(route: Route, req: &Request, world: &World) -> Result<Response, SolarisError> {
        handlers::handle(route, req, world)
    }

    /// Change requests waiting for their TAN or signature.
    fn pending(world: &World) -> Value {
        let items = serde_json::to_value(world.stores().solaris.open_change_requests(world.now()))
            .unwrap_or(Value::Null);
        crate::display::add_words(items, "status", |status| match status {
            "AUTHORIZATION_REQUIRED" => "Waiting to be authorised",
            "CONFIRMATION_REQUIRED" => "Waiting for the TAN",
            _ => "Open",
        })
    }

    fn apply_users(scenario: &mut SectionsMut<'_>) {
        config::apply_users(scenario);
    }

    fn own_sms(users: &Users) -> Option<SmsUser> {
        users.solaris.sms
    }

    type Control = control::Control;
}

/// Forgets expired tokens and challenges; puts change requests that expired
/// on the timeline.
pub(crate) fn sweep(world: &World) {
    for id in world.stores().solaris.sweep(world.now()) {
        world.emit(
            Provider::Solaris,
            "change_request.expired",
            id,
            world.now(),
            Value::Null,
        );
    }
}

/// The control API binds a device whose private key the sandbox holds.
pub(crate) fn bind_virtual_device(
    world: &World,
    person_id: &str,
    purpose: Purpose,
) -> Result<model::VirtualDeviceView, error::SolarisError> {
    world
        .stores()
        .solaris
        .bind_virtual_device(Ctx::of(world), person_id, purpose)
}

/// Why a virtual device could not sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignRefusal {
    NoDevice,
    /// The device exists but holds no key of the asked purpose.
    NoKey,
}

/// The control API signs a string as a virtual device.
pub(crate) fn sign(
    world: &World,
    device_id: &str,
    text: &str,
    purpose: Option<Purpose>,
) -> Result<String, SignRefusal> {
    world
        .stores()
        .solaris
        .sign_as_virtual_device(device_id, text, purpose)
}

/// The dashboard's "sign with a virtual device and confirm": authorises the
/// change request for device signing with the person's virtual device (bound
/// now if there is none), signs the challenge and confirms, as a phone would.
pub(crate) fn confirm_with_virtual_device(
    world: &World,
    id: &str,
) -> Result<model::ChangeRequestView, String> {
    let c = Ctx::of(world);
    let open = world.stores().solaris.open_change_requests(c.now);
    let request = open
        .iter()
        .find(|r| r.view.id == id)
        .ok_or_else(|| format!("No open change request {id}"))?;
    let person_id = request.person_id.clone();
    let device_id = match world.stores().solaris.virtual_device_of(&person_id) {
        Some(device) => device,
        None => {
            bind_virtual_device(world, &person_id, Purpose::Restricted)
                .map_err(|e| e.detail)?
                .id
        }
    };
    let (view, _) = world
        .stores()
        .solaris
        .authorize(
            c,
            id,
            model::Authorize {
                person_id: person_id.clone(),
                delivery_method: "device_signing".to_owned(),
                device_id: Some(device_id.clone()),
            },
        )
        .map_err(|e| e.detail)?;
    world.emit(
        Provider::Solaris,
        "change_request.authorized",
        id.to_owned(),
        c.now,
        Value::Null,
    );
    let text = view.string_to_sign.unwrap_or_default();
    let signature = sign(world, &device_id, &text, Some(Purpose::Restricted))
        .map_err(|_| "the virtual device cannot sign".to_owned())?;
    let done = world
        .stores()
        .solaris
        .confirm(
            c,
            id,
            model::Confirm {
                person_id: Some(person_id),
                tan: None,
                device_id: Some(device_id),
                signature: Some(signature),
            },
        )
        .map_err(|e| e.detail)?;
    world.emit(
        Provider::Solaris,
        "change_request.completed",
        id.to_owned(),
        c.now,
        Value::Null,
    );
    Ok(done)
}
