//! The control API's scenario endpoints: what is active, the library, loading
//! YAML, and activating a scenario by name for a tenant.

use std::sync::Arc;

use hyper::StatusCode;
use serde_json::json;

use super::Cx;
use crate::control::{ControlError, Reply};
use crate::http::{self, Request, Response};
use crate::library::{error_json, Refused};
use crate::scenario::Scenario;

/// `GET /__admin/scenarios`: the tenant's active scenario, the library, and
/// the files `--watch` refused.
pub(super) fn info(cx: &Cx<'_>) -> Response {
    let world = cx.tenant.world();
    let s = &world.scenario;
    let (library, errors) = cx.sandbox.library().describe(&cx.tenant.base_path);
    http::json(
        StatusCode::OK,
        &json!({
            "active": {
                "name": s.name,
                "library_name": cx.tenant.origin(),
                "description": s.description,
                "version": s.version.as_ref().map_or(crate::scenario::FORMAT_VERSION, |v| v.value),
                "seed": s.seed,
                "rules": s.rules.len(),
            },
            "library": library,
            "errors": errors,
        }),
    )
}

/// `PUT /__admin/tenants/{name}/scenario`: a tenant's own scenario, with a
/// fresh world; the tenant is made if it does not exist yet.
pub(super) fn set_for_tenant(req: &Request, cx: &Cx<'_>, name: &str) -> Reply<Response> {
    let tenant = cx
        .sandbox
        .tenant_named(name)
        .map_err(|e| ControlError::new(StatusCode::BAD_REQUEST, "invalid_tenant", &e))?;
    load(
        req,
        &Cx {
            tenant: &tenant,
            ..*cx
        },
    )
}

/// `POST /__admin/scenarios`: loads a YAML body and makes it active. A named
/// scenario also joins the tenant's own part of the library under its name,
/// unless a built-in scenario has that name: it is then active for the
/// tenant, and the built-in one stays in the library. A bad file is refused
/// whole with its line and column, and nothing changes; so is an upload over
/// the library's caps (409 `library_full`).
pub(super) fn load(req: &Request, cx: &Cx<'_>) -> Reply<Response> {
    let yaml = std::str::from_utf8(&req.body).map_err(|_| {
        ControlError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scenario",
            "the scenario must be UTF-8 YAML",
        )
    })?;
    // An empty document would be a valid scenario with nothing in it; sent
    // by mistake, it would silently wipe the tenant's world.
    if yaml.trim().is_empty() {
        return Err(ControlError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scenario",
            "the request body is empty; send a YAML scenario",
        ));
    }
    let scenario = Scenario::parse("<request body>", yaml).map_err(|e| {
        tracing::warn!(error = %e, "scenario refused");
        let mut body = error_json(&e);
        body["code"] = json!("invalid_scenario");
        ControlError::with_error(StatusCode::BAD_REQUEST, body)
    })?;
    let scenario = Arc::new(scenario);
    let mut origin = None;
    if let Some(name) = &scenario.name {
        let uploaded =
            cx.sandbox
                .library()
                .upload(&cx.tenant.base_path, name, scenario.clone(), yaml.len());
        match uploaded {
            Ok(()) => origin = Some(name.clone()),
            Err(Refused::BuiltIn) => {}
            Err(Refused::Full(message)) => {
                return Err(ControlError::new(
                    StatusCode::CONFLICT,
                    "library_full",
                    &message,
                ))
            }
        }
    }
    cx.tenant.activate(scenario, origin);
    Ok(info(cx))
}

/// `POST /__admin/scenarios/{name}/activate`: the library's scenario becomes
/// the tenant's, with a fresh world.
pub(super) fn activate(cx: &Cx<'_>, name: &str) -> Reply<Response> {
    let scenario = cx
        .sandbox
        .library()
        .get_for(&cx.tenant.base_path, name)
        .ok_or_else(|| {
            ControlError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("No scenario `{name}` in the library; GET /__admin/scenarios lists them"),
            )
        })?;
    cx.tenant.activate(scenario, Some(name.to_owned()));
    Ok(info(cx))
}
