//! The control API's routes below `/__admin`, and their operation ids (used
//! by the OpenAPI description, which names every route). Below
//! `/__admin/<provider>/` the provider's own control routes answer.

use hyper::Method;

use crate::providers::{ControlRoute, Provider, RouteMatch};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Route {
    OpenApi,
    Health,
    Stats,
    Reset,
    GetClock,
    SetClock,
    Journal,
    ListSms,
    SendSms,
    Events,
    GetScenario,
    LoadScenario,
    ActivateScenario {
        name: String,
    },
    SetTenantScenario {
        name: String,
    },
    Hosts,
    CaCertificate,
    ClientCertificate,
    ScenarioSchema,
    /// A provider's own control route, such as playing its end user.
    Provider(ControlRoute),
}

impl Route {
    pub(crate) fn parse(method: &Method, rest: &[&str]) -> Result<Self, Option<&'static str>> {
        let (get, post) = (method == Method::GET, method == Method::POST);
        Ok(match rest {
            ["openapi.json"] if get => Self::OpenApi,
            ["openapi.json"] => return Err(Some("GET")),
            ["health"] if get => Self::Health,
            ["health"] => return Err(Some("GET")),
            ["stats"] if get => Self::Stats,
            ["stats"] => return Err(Some("GET")),
            ["reset"] if post => Self::Reset,
            ["reset"] => return Err(Some("POST")),
            ["clock"] if get => Self::GetClock,
            ["clock"] if post => Self::SetClock,
            ["clock"] => return Err(Some("GET, POST")),
            ["journal"] if get => Self::Journal,
            ["journal"] => return Err(Some("GET")),
            ["sms"] if get => Self::ListSms,
            ["sms"] if post => Self::SendSms,
            ["sms"] => return Err(Some("GET, POST")),
            ["events"] if get => Self::Events,
            ["events"] => return Err(Some("GET")),
            ["scenarios"] if get => Self::GetScenario,
            ["scenarios"] if post => Self::LoadScenario,
            ["scenarios"] => return Err(Some("GET, POST")),
            ["scenarios", name, "activate"] if post => Self::ActivateScenario {
                name: (*name).to_owned(),
            },
            ["scenarios", _, "activate"] => return Err(Some("POST")),
            ["tenants", name, "scenario"] if method == Method::PUT => Self::SetTenantScenario {
                name: (*name).to_owned(),
            },
            ["tenants", _, "scenario"] => return Err(Some("PUT")),
            ["hosts"] if get => Self::Hosts,
            ["hosts"] => return Err(Some("GET")),
            ["ca.pem"] if get => Self::CaCertificate,
            ["ca.pem"] => return Err(Some("GET")),
            ["client-certificates"] if post => Self::ClientCertificate,
            ["client-certificates"] => return Err(Some("POST")),
            ["scenario.schema.json"] if get => Self::ScenarioSchema,
            ["scenario.schema.json"] => return Err(Some("GET")),
            [first, rest @ ..] if Provider::from_name(first).is_some() => {
                match ControlRoute::parse(method, first, rest) {
                    RouteMatch::Found(route) => Self::Provider(route),
                    RouteMatch::MethodNotAllowed(allow) => return Err(Some(allow)),
                    RouteMatch::NotFound => return Err(None),
                }
            }
            _ => return Err(None),
        })
    }
}

/// The control API's own operation ids, in the order of [`Route::operation`];
/// the providers' follow from [`crate::providers::control_operations`].
pub(crate) const OPERATIONS: &[&str] = &[
    "admin.openapi.get",
    "admin.health.get",
    "admin.stats.get",
    "admin.reset.create",
    "admin.clock.get",
    "admin.clock.set",
    "admin.journal.get",
    "admin.sms.list",
    "admin.sms.send",
    "admin.events.list",
    "admin.scenarios.get",
    "admin.scenarios.load",
    "admin.scenarios.activate",
    "admin.tenant_scenario.set",
    "admin.hosts.get",
    "admin.ca_certificate.get",
    "admin.client_certificate.create",
    "admin.scenario_schema.get",
];

impl Route {
    /// The stable id of a control operation.
    pub(crate) fn operation(&self) -> &'static str {
        OPERATIONS[match self {
            Self::OpenApi => 0,
            Self::Health => 1,
            Self::Stats => 2,
            Self::Reset => 3,
            Self::GetClock => 4,
            Self::SetClock => 5,
            Self::Journal => 6,
            Self::ListSms => 7,
            Self::SendSms => 8,
            Self::Events => 9,
            Self::GetScenario => 10,
            Self::LoadScenario => 11,
            Self::ActivateScenario { .. } => 12,
            Self::SetTenantScenario { .. } => 13,
            Self::Hosts => 14,
            Self::CaCertificate => 15,
            Self::ClientCertificate => 16,
            Self::ScenarioSchema => 17,
            Self::Provider(route) => return route.operation(),
        }]
    }
}
