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
    Report,
    Webhooks,
    Webhook {
        id: String,
    },
    Redeliver {
        id: String,
    },
    Inbox {
        name: String,
    },
    InboxReceive {
        name: String,
        /// The path after the inbox's name: the event, as a provider that
        /// appends it to the receiver's URL sends it.
        event: String,
    },
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
            ["report"] if get => Self::Report,
            ["report"] => return Err(Some("GET")),
            ["webhooks"] if get => Self::Webhooks,
            ["webhooks"] => return Err(Some("GET")),
            ["webhooks", id] if get => Self::Webhook {
                id: (*id).to_owned(),
            },
            ["webhooks", _] => return Err(Some("GET")),
            ["webhooks", id, "redeliver"] if post => Self::Redeliver {
                id: (*id).to_owned(),
            },
            ["webhooks", _, "redeliver"] => return Err(Some("POST")),
            ["webhook-inbox", name] if get => Self::Inbox {
                name: (*name).to_owned(),
            },
            ["webhook-inbox", name] if post => Self::InboxReceive {
                name: (*name).to_owned(),
                event: String::new(),
            },
            ["webhook-inbox", _] => return Err(Some("GET, POST")),
            ["webhook-inbox", name, event @ ..] if post => Self::InboxReceive {
                name: (*name).to_owned(),
                event: format!("/{}", event.join("/")),
            },
            ["webhook-inbox", _, ..] => return Err(Some("POST")),
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

/// Writes each control route's operation id beside its pattern, once:
/// generates [`Route::operation`] and `OPERATIONS`, the control API's own
/// ids (the providers' follow from their control routes).
macro_rules! own_operations {
    ($($pattern:pat => $id:expr,)*) => {
        /// The control API's own operation ids.
        #[cfg_attr(not(test), allow(dead_code))]
        pub(crate) const OPERATIONS: &[&str] = &[$($id,)*];

        impl Route {
            /// The stable id of a control operation.
            pub(crate) fn operation(&self) -> &'static str {
                match self {
                    $($pattern => $id,)*
                    Self::Provider(route) => route.operation(),
                }
            }
        }
    };
}

own_operations! {
    Self::OpenApi => "admin.openapi.get",
    Self::Health => "admin.health.get",
    Self::Stats => "admin.stats.get",
    Self::Reset => "admin.reset.create",
    Self::GetClock => "admin.clock.get",
    Self::SetClock => "admin.clock.set",
    Self::Journal => "admin.journal.get",
    Self::ListSms => "admin.sms.list",
    Self::SendSms => "admin.sms.send",
    Self::Events => "admin.events.list",
    Self::GetScenario => "admin.scenarios.get",
    Self::LoadScenario => "admin.scenarios.load",
    Self::ActivateScenario { .. } => "admin.scenarios.activate",
    Self::SetTenantScenario { .. } => "admin.tenant_scenario.set",
    Self::Hosts => "admin.hosts.get",
    Self::CaCertificate => "admin.ca_certificate.get",
    Self::ClientCertificate => "admin.client_certificate.create",
    Self::ScenarioSchema => "admin.scenario_schema.get",
    Self::Report => "admin.report.get",
    Self::Webhooks => "admin.webhooks.list",
    Self::Webhook { .. } => "admin.webhooks.get",
    Self::Redeliver { .. } => "admin.webhooks.redeliver",
    Self::Inbox { .. } => "admin.webhook_inbox.list",
    Self::InboxReceive { .. } => "admin.webhook_inbox.receive",
}
