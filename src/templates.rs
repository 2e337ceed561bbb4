//! The page templates, compiled once from sources embedded in the binary.
//! Handlebars escapes every `{{value}}` as HTML, so anything a user set (a
//! payee name, a reference) shows as text, never as markup.

use std::sync::OnceLock;

use handlebars::{handlebars_helper, Handlebars};
use serde::Serialize;

use crate::display;

/// The dashboard's templates; each provider adds its own pages' (see
/// `ProviderApi::TEMPLATES`).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "dashboard/home",
        include_str!("../templates/dashboard/home.hbs"),
    ),
    (
        "dashboard/timeline",
        include_str!("../templates/dashboard/timeline.hbs"),
    ),
    (
        "dashboard/journal",
        include_str!("../templates/dashboard/journal.hbs"),
    ),
    (
        "dashboard/report",
        include_str!("../templates/dashboard/report.hbs"),
    ),
    (
        "dashboard/top",
        include_str!("../templates/dashboard/top.hbs"),
    ),
    (
        "dashboard/head",
        include_str!("../templates/dashboard/head.hbs"),
    ),
    (
        "dashboard/hidden",
        include_str!("../templates/dashboard/hidden.hbs"),
    ),
    (
        "dashboard/style",
        include_str!("../templates/dashboard/style.hbs"),
    ),
    (
        "dashboard/summary",
        include_str!("../templates/dashboard/summary.hbs"),
    ),
    (
        "dashboard/when",
        include_str!("../templates/dashboard/when.hbs"),
    ),
];

// What the pages show a person (see `display`): `{{iban x}}` groups an IBAN
// by four, `{{exact t}}` is the full time for a hover, and `{{ago t now}}`
// is `t` relative to the sandbox clock. Handlebars escapes what they return.
handlebars_helper!(iban: |text: str| display::group_iban(text));
handlebars_helper!(exact: |at: str| display::parse(at).map_or_else(|| at.to_owned(), display::exact));
handlebars_helper!(ago: |at: str, now: str| match (display::parse(at), display::parse(now)) {
    (Some(at), Some(now)) => display::relative(at, now),
    _ => at.to_owned(),
});

fn registry() -> &'static Result<Handlebars<'static>, String> {
    static REGISTRY: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_helper("iban", Box::new(iban));
        registry.register_helper("exact", Box::new(exact));
        registry.register_helper("ago", Box::new(ago));
        for (name, source) in TEMPLATES.iter().chain(crate::providers::templates()) {
            registry
                .register_template_string(name, *source)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        Ok(registry)
    })
}

/// Renders a page; an error names the template rather than panicking.
pub(crate) fn render(name: &str, data: &impl Serialize) -> Result<String, String> {
    let registry = registry().as_ref().map_err(Clone::clone)?;
    registry
        .render(name, data)
        .map_err(|e| format!("template {name}: {e}"))
}
