//! Thredd's request bodies: the control API's purchase. The oAuth forms are
//! [`crate::http::ClientCredentials`].

use serde::Deserialize;

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
