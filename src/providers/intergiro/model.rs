//! Intergiro's request bodies: session auth, consent initiation and the
//! consent page's form.

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
