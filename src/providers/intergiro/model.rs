//! Intergiro's wire types: the request bodies (session auth, consent
//! initiation, the consent page's form) and the answers.

use serde::{Deserialize, Serialize};

use super::consent::Summary;

#[derive(Debug, Deserialize)]
pub(crate) struct Login {
    pub(crate) api_key: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Refresh {
    pub(crate) refresh_token: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Initiate {
    #[serde(default)]
    pub(crate) return_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Submission {
    pub(crate) token: String,
    pub(crate) decision: String,
    #[serde(default)]
    pub(crate) passcode: Option<String>,
}

/// A consent as Intergiro answers it: in a 412, and from
/// `GET /v3/consents/{id}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ConsentView {
    pub(crate) id: String,
    pub(crate) status: &'static str,
    pub(crate) scope: [&'static str; 1],
    pub(crate) expires_at: String,
    pub(crate) created_at: String,
}

/// For the dashboard: a pending consent, what it asks, and its page once
/// initiated.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PendingConsent {
    pub(crate) id: String,
    pub(crate) scope: &'static str,
    pub(crate) summary: Summary,
    pub(crate) expires_at: String,
    pub(crate) page: Option<String>,
}

/// `POST /v3/auth/login` and `/v3/auth/refresh`.
#[derive(Debug, Serialize)]
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
}

/// The 412 that asks for consent.
#[derive(Debug, Serialize)]
pub(crate) struct ConsentRequired {
    pub(crate) consent: ConsentView,
}

/// `POST /v3/consents/{id}`: how to reach the hosted page.
#[derive(Debug, Serialize)]
pub(crate) struct Initiated {
    pub(crate) method: Method,
}

#[derive(Debug, Serialize)]
pub(crate) struct Method {
    pub(crate) redirect_url: String,
    pub(crate) token: String,
    pub(crate) expires_at: String,
}

/// A payment as `POST /v3/transactions/pay` answers it.
#[derive(Debug, Serialize)]
pub(crate) struct Transaction<'a> {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) amount: i64,
    pub(crate) currency: &'a str,
    pub(crate) status: &'static str,
    pub(crate) account_id: &'a str,
    pub(crate) reference: &'a str,
    pub(crate) counterparty: Counterparty<'a>,
    pub(crate) created_at: String,
}

/// The payee: an Intergiro account (its id, and its bank details when it has
/// an IBAN), or an IBAN.
#[derive(Debug, Serialize)]
pub(crate) struct Counterparty<'a> {
    pub(crate) name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) account_details: Option<AccountDetails<'a>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AccountDetails<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) iban: &'a str,
}

impl<'a> AccountDetails<'a> {
    pub(crate) fn sepa(iban: &'a str) -> Self {
        Self { kind: "sepa", iban }
    }
}

/// `GET /v3/cards/{id}/credentials`, once consented.
#[derive(Debug, Serialize)]
pub(crate) struct CardCredentials<'a> {
    pub(crate) card_id: &'a str,
    pub(crate) pan: &'static str,
    pub(crate) cvv: &'static str,
    pub(crate) expiry_month: u8,
    pub(crate) expiry_year: u16,
    pub(crate) holder: &'static str,
}

/// `POST /v3/cards/{id}/activate`, once consented.
#[derive(Debug, Serialize)]
pub(crate) struct CardActivated<'a> {
    pub(crate) id: &'a str,
    pub(crate) status: &'static str,
}

/// What the consent page shows: the summary, and the form's fields.
#[derive(Debug, Serialize)]
pub(crate) struct ConsentPage<'a> {
    #[serde(flatten)]
    pub(crate) summary: super::store::Summary,
    pub(crate) scope: &'a str,
    pub(crate) token: &'a str,
    /// Where the form posts, below the tenant's prefix.
    pub(crate) action: String,
    pub(crate) error: Option<&'a str>,
    /// The demo world's passcode, shown only there.
    pub(crate) demo_passcode: Option<&'a str>,
}

/// A page with a title and a line: done, gone, or refused.
#[derive(Debug, Serialize)]
pub(crate) struct MessagePage<'a> {
    pub(crate) title: &'a str,
    pub(crate) text: &'a str,
}
