//! The control API's routes below `/__admin`, and their operation ids (used
//! by the OpenAPI description, which names every route).

use hyper::Method;

use crate::providers::shine;

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
    ActivateScenario { name: String },
    SetTenantScenario { name: String },
    IntergiroDecide { id: String, approve: bool },
    SolarisBindDevice,
    SolarisSign { id: String },
    ThreddStart,
    ThreddGet { id: String },
    ThreddOtp { id: String },
    ShineList,
    ShineDecide { id: String, decision: shine::Decide },
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
            ["intergiro", "consents", id, verb @ ("approve" | "decline")] if post => {
                Self::IntergiroDecide {
                    id: (*id).to_owned(),
                    approve: *verb == "approve",
                }
            }
            ["intergiro", "consents", _, "approve" | "decline"] => return Err(Some("POST")),
            ["solaris", "devices"] if post => Self::SolarisBindDevice,
            ["solaris", "devices"] => return Err(Some("POST")),
            ["solaris", "devices", id, "sign"] if post => Self::SolarisSign {
                id: (*id).to_owned(),
            },
            ["solaris", "devices", _, "sign"] => return Err(Some("POST")),
            ["thredd", "authentications"] if post => Self::ThreddStart,
            ["thredd", "authentications"] => return Err(Some("POST")),
            ["thredd", "authentications", id] if get => Self::ThreddGet {
                id: (*id).to_owned(),
            },
            ["thredd", "authentications", _] => return Err(Some("GET")),
            ["thredd", "authentications", id, "otp"] if post => Self::ThreddOtp {
                id: (*id).to_owned(),
            },
            ["thredd", "authentications", _, "otp"] => return Err(Some("POST")),
            ["shine", "action_requests"] if get => Self::ShineList,
            ["shine", "action_requests"] => return Err(Some("GET")),
            ["shine", "action_requests", id, verb @ ("confirm" | "reject")] if post => {
                Self::ShineDecide {
                    id: (*id).to_owned(),
                    decision: if *verb == "confirm" {
                        shine::Decide::Confirm
                    } else {
                        shine::Decide::Reject
                    },
                }
            }
            ["shine", "action_requests", _, "confirm" | "reject"] => return Err(Some("POST")),
            _ => return Err(None),
        })
    }
}

/// Every control operation id, in the order of [`Route::operation`].
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
    "admin.intergiro_consent.approve",
    "admin.intergiro_consent.decline",
    "admin.solaris_device.create",
    "admin.solaris_device.sign",
    "admin.thredd_authentication.create",
    "admin.thredd_authentication.get",
    "admin.thredd_authentication.otp",
    "admin.shine_action_request.list",
    "admin.shine_action_request.confirm",
    "admin.shine_action_request.reject",
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
            Self::IntergiroDecide { approve: true, .. } => 14,
            Self::IntergiroDecide { approve: false, .. } => 15,
            Self::SolarisBindDevice => 16,
            Self::SolarisSign { .. } => 17,
            Self::ThreddStart => 18,
            Self::ThreddGet { .. } => 19,
            Self::ThreddOtp { .. } => 20,
            Self::ShineList => 21,
            Self::ShineDecide {
                decision: shine::Decide::Confirm,
                ..
            } => 22,
            Self::ShineDecide { .. } => 23,
        }]
    }
}
