//! Thredd's request bodies: the control API's purchase. The oAuth forms are
//! [`crate::http::ClientCredentials`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /__admin/thredd/authentications`: a cardholder's purchase.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Purchase {
    #[serde(deserialize_with = "crate::http::whole_number")]
    pub(crate) pubtoken: u64,
    #[serde(deserialize_with = "crate::http::whole_number")]
    pub(crate) amount: u64,
    pub(crate) currency: String,
    #[serde(default, deserialize_with = "crate::http::object")]
    pub(crate) merchant: Merchant,
    #[serde(default)]
    pub(crate) notify_initiate_action_url: Option<String>,
    #[serde(default)]
    pub(crate) validation_timeout: Option<crate::scenario::Dur>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Merchant {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) acquirer_id: Option<String>,
    #[serde(default)]
    pub(crate) category_code: Option<String>,
    #[serde(default)]
    pub(crate) country_code: Option<String>,
    #[serde(default)]
    pub(crate) app_redirect_url: Option<String>,
}

/// A 3DS session as the control API shows it: where it stands, and what
/// happened to NotifyInitiateAction.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SessionView {
    pub(crate) id: String,
    pub(crate) pubtoken: u64,
    pub(crate) state: &'static str,
    pub(crate) outcome: Option<&'static str>,
    pub(crate) pm_reference_id: Option<String>,
    pub(crate) created_at: String,
    pub(crate) validation_deadline: String,
    pub(crate) delivery: DeliveryView,
    pub(crate) notify_initiate_action: Value,
}

/// The one NotifyInitiateAction of a session.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeliveryView {
    pub(crate) url: Option<String>,
    pub(crate) state: &'static str,
    pub(crate) status: Option<u16>,
    pub(crate) latency_ms: Option<f64>,
    pub(crate) error: Option<String>,
    pub(crate) sent_at: Option<String>,
}

/// RFC 7662's answer: `active`, and the claims of a live token.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Introspection {
    pub(crate) active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(crate) claims: Option<Claims>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Claims {
    pub(crate) iss: &'static str,
    pub(crate) aud: [&'static str; 2],
    pub(crate) client_id: String,
    pub(crate) scope: String,
    pub(crate) token_type: &'static str,
    pub(crate) nbf: i64,
    pub(crate) exp: i64,
}
