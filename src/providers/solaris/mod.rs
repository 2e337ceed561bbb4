//! Solaris: SMS and device-signing challenges, device binding, and change
//! requests (202 → authorize → confirm).
//!
//! Imitates <https://docs.solarisgroup.com/guides/authentication/strong-customer-authentication>
//! and the device-management API reference.
//!
//! Fidelity, what is not emulated:
//! - the many other guarded actions (standing orders, cards, batch transfers);
//! - `device_data` (Seon) and the `activation_code` challenge type;
//! - OAuth scopes: every token may call every endpoint.

mod change_requests;
pub(crate) mod config;
pub(crate) mod crypto;
mod devices;
mod error;
mod handlers;
mod model;
pub(crate) mod routes;
mod store;

use serde_json::Value;

pub(crate) use devices::Purpose;
pub(crate) use store::Store;

use self::error::SolarisError;
use self::routes::Route;
use crate::http::{Request, Response};
use crate::providers::{CommonError, Provider, ProviderApi};
use crate::state::World;

/// Marker type through which the router drives Solaris.
#[derive(Debug)]
pub(crate) struct Solaris;

impl ProviderApi for Solaris {
    const PROVIDER: Provider = Provider::Solaris;
    type Route = Route;

    fn handle(route: Route, req: &Request, world: &World) -> Response {
        handlers::handle(route, req, world)
            .unwrap_or_else(|e| e.into_response(&world.ids.uuid().to_string()))
    }

    fn common_error(err: CommonError) -> Response {
        SolarisError::from(err).into_response("00000000-0000-4000-8000-000000000000")
    }
}

/// Forgets expired tokens and challenges.
pub(crate) fn sweep(world: &World) {
    world.solaris.sweep(world.now());
}

/// The control API binds a device whose private key the sandbox holds.
pub(crate) fn bind_virtual_device(
    world: &World,
    person_id: &str,
    purpose: Purpose,
) -> Result<Value, String> {
    world
        .solaris
        .bind_virtual_device(handlers::ctx(world), person_id, purpose)
        .map_err(|e| e.detail)
}

/// The control API signs a string as a virtual device.
pub(crate) fn sign(
    world: &World,
    device_id: &str,
    text: &str,
    purpose: Option<Purpose>,
) -> Option<String> {
    world
        .solaris
        .sign_as_virtual_device(device_id, text, purpose)
}
