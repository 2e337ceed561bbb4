//! Intergiro's request bodies: session auth, consent initiation and the
//! consent page's form.

use serde::Deserialize;

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
