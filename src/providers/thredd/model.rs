//! Thredd's wire types: the control API's purchase (the oAuth forms are
//! [`crate::http::ClientCredentials`]), the session views, and the currencies
//! and countries NotifyInitiateAction writes as ISO numeric codes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::display::Summary;

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
    pub(crate) validation_timeout: Option<crate::terms::Dur>,
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

/// A session waiting for the PM or the cardholder, for the dashboard.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PendingSession {
    #[serde(flatten)]
    pub(crate) view: SessionView,
    pub(crate) summary: Summary,
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
    pub(crate) iss: String,
    pub(crate) aud: [&'static str; 2],
    pub(crate) client_id: String,
    pub(crate) scope: String,
    pub(crate) token_type: &'static str,
    pub(crate) nbf: i64,
    pub(crate) exp: i64,
}

/// ISO 3166-1 numeric code of a merchant's country, given as alpha-2 (`UK`
/// too, as Thredd's own examples write Great Britain) or already numeric.
/// The countries a sandbox purchase is likely to name; others are refused.
pub(crate) fn country_numeric(code: &str) -> Option<&'static str> {
    const COUNTRIES: &[(&str, &str)] = &[
        ("AT", "040"),
        ("BE", "056"),
        ("BG", "100"),
        ("CH", "756"),
        ("CY", "196"),
        ("CZ", "203"),
        ("DE", "276"),
        ("DK", "208"),
        ("EE", "233"),
        ("ES", "724"),
        ("FI", "246"),
        ("FR", "250"),
        ("GB", "826"),
        ("GR", "300"),
        ("HR", "191"),
        ("HU", "348"),
        ("IE", "372"),
        ("IS", "352"),
        ("IT", "380"),
        ("LI", "438"),
        ("LT", "440"),
        ("LU", "442"),
        ("LV", "428"),
        ("MT", "470"),
        ("NL", "528"),
        ("NO", "578"),
        ("PL", "616"),
        ("PT", "620"),
        ("RO", "642"),
        ("SE", "752"),
        ("SI", "705"),
        ("SK", "703"),
        ("US", "840"),
        ("CA", "124"),
        ("AU", "036"),
    ];
    let upper = code.trim().to_ascii_uppercase();
    let alpha = if upper == "UK" { "GB" } else { upper.as_str() };
    COUNTRIES
        .iter()
        .find(|(a, n)| *a == alpha || *n == alpha)
        .map(|(_, n)| *n)
}

/// `POST /connect/token`, as IdentityServer answers it.
#[derive(Debug, Serialize)]
pub(crate) struct TokenAnswer {
    pub(crate) access_token: String,
    pub(crate) expires_in: i64,
    pub(crate) token_type: &'static str,
    pub(crate) scope: &'static str,
}

/// The discovery document at `/.well-known/openid-configuration`.
#[derive(Debug, Serialize)]
pub(crate) struct Discovery<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) jwks_uri: String,
    pub(crate) token_endpoint: String,
    pub(crate) introspection_endpoint: String,
    pub(crate) grant_types_supported: [&'static str; 1],
    pub(crate) token_endpoint_auth_methods_supported: [&'static str; 2],
    pub(crate) scopes_supported: [&'static str; 2],
    pub(crate) id_token_signing_alg_values_supported: [&'static str; 1],
}

/// NotifyInitiateAction, every field of Thredd's table.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NotifyInitiateAction {
    pub(crate) pubtoken: u64,
    #[serde(rename = "GPSInitiateActionID")]
    pub(crate) gps_initiate_action_id: String,
    #[serde(rename = "MessageVersion3DS")]
    pub(crate) message_version_3ds: &'static str,
    pub(crate) credential: Credential,
    pub(crate) channel_created: &'static str,
    pub(crate) merchant_info: MerchantInfo,
    pub(crate) transaction_info: TransactionInfo,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Credential {
    pub(crate) id: String,
    #[serde(rename = "Type")]
    pub(crate) kind: String,
    pub(crate) text: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MerchantInfo {
    #[serde(rename = "AcquirerID")]
    pub(crate) acquirer_id: String,
    #[serde(rename = "MerchantID")]
    pub(crate) merchant_id: String,
    pub(crate) merchant_name: String,
    #[serde(rename = "MerchantURL")]
    pub(crate) merchant_url: String,
    pub(crate) merchant_category_code: Option<String>,
    /// EMV 3DS (2.x) writes the numeric code; 3DS 1.0 wrote alpha-2.
    pub(crate) merchant_country_code: &'static str,
    #[serde(rename = "MerchantAppRedirectURL")]
    pub(crate) merchant_app_redirect_url: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TransactionInfo {
    pub(crate) transaction_time_stamp: String,
    pub(crate) transaction_amount: u64,
    pub(crate) transaction_currency: &'static str,
    pub(crate) transaction_exponent: u32,
}

/// The currencies the sandbox knows: ISO 4217 alpha, numeric, exponent.
const CURRENCIES: &[(&str, &str, u32)] = &[
    ("EUR", "978", 2),
    ("GBP", "826", 2),
    ("USD", "840", 2),
    ("SEK", "752", 2),
    ("JPY", "392", 0),
];

/// A currency by alpha or numeric code → (numeric, exponent), as
/// NotifyInitiateAction carries it.
pub(crate) fn currency(code: &str) -> Option<(&'static str, u32)> {
    CURRENCIES
        .iter()
        .find(|(alpha, numeric, _)| *alpha == code || *numeric == code)
        .map(|&(_, numeric, exponent)| (numeric, exponent))
}

/// The merchant and amount of a purchase, from its NotifyInitiateAction,
/// for the dashboard.
pub(crate) fn summary(request: &Value) -> Summary {
    let info = &request["TransactionInfo"];
    let numeric = info["TransactionCurrency"].as_str().unwrap_or_default();
    let alpha = CURRENCIES
        .iter()
        .find(|(_, n, _)| *n == numeric)
        .map_or(numeric, |(alpha, _, _)| alpha);
    let exponent = info["TransactionExponent"].as_u64().unwrap_or(2);
    Summary {
        title: "Card purchase".to_owned(),
        amount: info["TransactionAmount"]
            .as_i64()
            .map(|minor| crate::display::money(minor, u32::try_from(exponent).unwrap_or(2), alpha)),
        payee: request["MerchantInfo"]["MerchantName"]
            .as_str()
            .map(str::to_owned),
        ..Summary::default()
    }
}

/// NotifyValidate's answer: the request's identifying fields as sent, and
/// `Error` (every field empty when accepted).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ValidateAnswer<'a> {
    pub(crate) pubtoken: &'a Value,
    #[serde(rename = "GPSInitiateActionID")]
    pub(crate) gps_initiate_action_id: &'a Value,
    #[serde(rename = "PMReferenceID")]
    pub(crate) pm_reference_id: &'a Value,
    pub(crate) status: &'a Value,
    pub(crate) error: &'a Refusal,
}

/// The issuer's JWKS: the one key its tokens are signed with.
#[derive(Debug, Serialize)]
pub(crate) struct Jwks<'a> {
    pub(crate) keys: [super::jwt::Jwk<'a>; 1],
}

/// Why NotifyValidate was refused; the echo carries it in `Error`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Refusal {
    #[serde(rename = "ReferenceNumber")]
    pub(crate) reference: String,
    pub(crate) description: &'static str,
    pub(crate) message: String,
}

impl Refusal {
    /// The `Error` of an accepted NotifyValidate: every field empty.
    pub(crate) fn none() -> Self {
        Self {
            reference: String::new(),
            description: "",
            message: String::new(),
        }
    }
}
