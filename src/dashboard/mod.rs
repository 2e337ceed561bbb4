//! The dashboard: pages that play the end user in a browser. Rendered on the
//! server with handlebars and usable without JavaScript: every button is a
//! form that POSTs to `/actions` and is redirected back (303) to the page it
//! came from. A small script, served from `/dashboard.js`, reloads the page
//! when the timeline moves.
//!
//! Pages: `/` (clock, SMS inbox, pending work), `/timeline`, `/journal`. Each
//! shows one tenant: the default one, or `?tenant=<name>`.

mod data;

use std::sync::Arc;

use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::http::{self, Request, Response};
use crate::providers::Operation;
use crate::sandbox::Sandbox;
use crate::state::Tenant;
use crate::templates;

/// The first path segments the dashboard answers, besides `/`.
pub(crate) const PATHS: &[&str] = &["timeline", "journal", "report", "actions", "dashboard.js"];

const SCRIPT: &str = include_str!("../../templates/dashboard/dashboard.js");

/// Whether a request for `/` wants the page rather than the JSON index.
pub(crate) fn wants_page(req: &hyper::Request<hyper::body::Incoming>) -> bool {
    req.method() == Method::GET
        && req
            .headers()
            .get(hyper::header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

/// A dashboard route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    /// `/` for a browser; other clients get the JSON index there.
    Home,
    Timeline,
    Journal,
    Report,
    Actions,
    Script,
}

crate::providers::operation_ids! {
    Page,
    Page::Home => "index.get",
    Page::Timeline => "dashboard.timeline.get",
    Page::Journal => "dashboard.journal.get",
    Page::Report => "dashboard.report.get",
    Page::Actions => "dashboard.action.create",
    Page::Script => "dashboard.script.get",
}

impl Page {
    /// The page a method and first path segment name, or the `Allow` header.
    pub(crate) fn parse(method: &Method, first: &str) -> Result<Self, &'static str> {
        let get = method == Method::GET;
        match first {
            "" if get => Ok(Self::Home),
            "timeline" if get => Ok(Self::Timeline),
            "journal" if get => Ok(Self::Journal),
            "report" if get => Ok(Self::Report),
            "dashboard.js" if get => Ok(Self::Script),
            "actions" if method == Method::POST => Ok(Self::Actions),
            "actions" => Err("POST"),
            _ => Err("GET"),
        }
    }
}

/// Answers a dashboard request whose body has been read.
pub(crate) fn handle(req: &Request, sandbox: &Sandbox) -> Response {
    let first = req.segments().first().copied().unwrap_or("");
    let page = Page::parse(&req.method, first);
    if let Ok(page) = page {
        tracing::debug!(operation = page.operation(), "dashboard request");
    }
    match page {
        Ok(Page::Script) => {
            let mut res = http::with_type(
                StatusCode::OK,
                SCRIPT.into(),
                "text/javascript; charset=utf-8",
            );
            res.headers_mut()
                .insert("cache-control", HeaderValue::from_static("no-cache"));
            res
        }
        Ok(Page::Actions) => act(req, sandbox),
        Ok(Page::Home) => render(req, sandbox, ""),
        Ok(Page::Timeline) => render(req, sandbox, "timeline"),
        Ok(Page::Journal) => render(req, sandbox, "journal"),
        Ok(Page::Report) => render(req, sandbox, "report"),
        Err(allow) => {
            let mut res = http::empty(StatusCode::METHOD_NOT_ALLOWED);
            res.headers_mut()
                .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
            res
        }
    }
}

/// The tenant a page or form names; `Err` when it names one that does not
/// exist (pages never create tenants).
fn tenant(sandbox: &Sandbox, name: Option<&str>) -> Result<(Arc<Tenant>, String), String> {
    match name.filter(|n| !n.is_empty()) {
        None => Ok((sandbox.tenant().clone(), String::new())),
        Some(name) => sandbox
            .existing_tenant(name)
            .map(|t| (t, name.to_owned()))
            .ok_or_else(|| format!("No tenant `{name}` yet; it appears once a request names it")),
    }
}

fn render(req: &Request, sandbox: &Sandbox, page: &str) -> Response {
    let asked = req.query_param("tenant");
    let (tenant, name, notice) = match tenant(sandbox, asked.as_deref()) {
        Ok((tenant, name)) => (
            tenant,
            name,
            req.query_param("notice").map(|n| n.into_owned()),
        ),
        Err(e) => (sandbox.tenant().clone(), String::new(), Some(e)),
    };
    let world = tenant.world();
    let tenant_query = if name.is_empty() {
        String::new()
    } else {
        format!("&tenant={name}")
    };
    let mut data = json!({
        "page": if page.is_empty() { "home" } else { page },
        "tenant": name,
        "tenant_query": tenant_query,
        "tenants": sandbox.tenant_names(),
        "notice": notice,
        "clock": data::clock(&world),
        "since": data::last_event(&world),
        "back": back_of(req),
        "steps": ["1m", "5m", "15m"],
    });
    let template = match page {
        "timeline" => {
            let provider = req.query_param("provider");
            let subject = req.query_param("subject");
            data["events"] = data::timeline(&world, provider.as_deref(), subject.as_deref());
            data["providers"] = data::providers(provider.as_deref());
            data["subject"] = json!(subject);
            "dashboard/timeline"
        }
        "journal" => {
            data["entries"] = data::journal(&world);
            "dashboard/journal"
        }
        "report" => {
            data["report"] = serde_json::to_value(world.report()).unwrap_or_default();
            "dashboard/report"
        }
        _ => {
            data["inbox"] = data::inbox(&world, &tenant_query);
            data["pending"] = data::pending(&world);
            "dashboard/home"
        }
    };
    match templates::render(template, &data) {
        Ok(page) => page_response(page),
        Err(e) => {
            tracing::error!(error = %e, "dashboard page failed to render");
            http::empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The page's own path and query, where its forms come back to.
fn back_of(req: &Request) -> String {
    let mut back = req.path.clone();
    if let Some(query) = &req.query {
        let kept: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != "notice"))
            .finish();
        if !kept.is_empty() {
            back = format!("{back}?{kept}");
        }
    }
    back
}

/// HTML with a policy that allows only our own script and calls.
fn page_response(page: String) -> Response {
    let mut res = http::html(StatusCode::OK, page);
    res.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

/// The clock steps the buttons offer.
const STEPS: &[&str] = &["1m", "5m", "15m"];

/// A form no page of ours sends: a plain-text 400.
fn bad_form(message: &str) -> Response {
    http::with_type(
        StatusCode::BAD_REQUEST,
        format!("Bad request: {message}\n").into(),
        "text/plain; charset=utf-8",
    )
}

/// A button press.
#[derive(Debug, Deserialize)]
struct Action {
    /// `advance`, or a provider's button `<provider>_<verb>`.
    action: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    back: String,
}

fn act(req: &Request, sandbox: &Sandbox) -> Response {
    // Our own forms always send a known action and step; anything else was
    // not sent by a page, so it gets a 400 rather than a notice.
    let form = match req.form::<Action>(false) {
        Ok(form) if form.action == "advance" && !STEPS.contains(&form.by.as_str()) => {
            return bad_form(&format!("cannot advance the clock by `{}`", form.by))
        }
        Ok(form)
            if !matches!(form.action.as_str(), "advance" | "webhook_redeliver")
                && !crate::providers::is_button(&form.action) =>
        {
            return bad_form(&format!("no button `{}`", form.action))
        }
        Ok(form) => form,
        Err(e) => return bad_form(&e.describe()),
    };
    let back = local_path(&form.back);
    let outcome = tenant(sandbox, Some(&form.tenant)).and_then(|(tenant, _)| {
        if form.action == "advance" {
            let by = crate::scenario::Dur::parse(&form.by)?;
            tenant
                .clock
                .try_advance(by.as_delta())
                .map_err(|e| e.to_string())?;
            tenant.world().sweep();
            return Ok(format!("The clock moved on {by}"));
        }
        if form.action == "webhook_redeliver" {
            let world = tenant.world();
            return if crate::providers::webhooks::redeliver(&*world, &form.id) {
                Ok(format!("Webhook {} sent again", form.id))
            } else {
                Err("That webhook delivery is gone, or an attempt is on its way".to_owned())
            };
        }
        crate::providers::button(&*tenant.world(), &form.action, &form.id, &form.code)
            .ok_or_else(|| format!("There is no button `{}`", form.action))?
    });
    let notice = match outcome {
        Ok(done) => done,
        Err(e) => e,
    };
    redirect(&back, Some(&notice))
}

/// A form's `back` if it is a path on this server, else `/`: a redirect
/// never leaves the sandbox.
fn local_path(back: &str) -> String {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        back.to_owned()
    } else {
        "/".to_owned()
    }
}

fn redirect(back: &str, notice: Option<&str>) -> Response {
    let mut location = back.to_owned();
    if let Some(notice) = notice {
        let sep = if location.contains('?') { '&' } else { '?' };
        let encoded: String = form_urlencoded::byte_serialize(notice.as_bytes()).collect();
        location = format!("{location}{sep}notice={encoded}");
    }
    http::redirect(StatusCode::SEE_OTHER, &location)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn redirects_stay_on_the_sandbox() {
        assert_eq!(local_path("/timeline?tenant=a"), "/timeline?tenant=a");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "javascript:x",
            "/a b",
        ] {
            assert_eq!(local_path(bad), "/", "{bad}");
        }
    }
}
