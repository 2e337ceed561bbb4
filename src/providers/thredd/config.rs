//! Thredd's part of a scenario file: `settings.thredd` and `fixtures.thredd`.

use std::collections::HashSet;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::providers::Sections;
use crate::terms::{Dur, SmsUser};

/// The longest validation timeout Thredd allows.
pub(crate) const MAX_VALIDATION_TIMEOUT: u64 = 900;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where NotifyInitiateAction goes (the PM's endpoint).
    pub notify_initiate_action_url: Option<String>,
    /// How long Thredd waits for NotifyValidate: 30 s by default, 900 s at most.
    pub validation_timeout: Dur,
    /// The program manager's code, checked on NotifyValidate.
    pub prog_mgr_code: String,
    /// Lifetime of oAuth access tokens (Thredd: 4 hours).
    pub token_ttl: Dur,
    /// The `iss` of the tokens, and the issuer the discovery document names.
    pub issuer: String,
    /// `ES256` (the world's P-256 key) or `RS256` (the sandbox's RSA test key
    /// with its certificate's `x5t`, as Thredd's sample tokens).
    pub signing_alg: super::jwt::Alg,
    /// How long the PM has to answer NotifyInitiateAction 200 (5 s).
    pub notify_answer_timeout: Dur,
    /// What a missed answer does to the session: `wait` for NotifyValidate
    /// (Thredd's guide: the call is not resent, the session times out),
    /// `fail` at once, or `fallback` to the card's OTP SMS.
    pub on_missed_answer: OnMissedAnswer,
    /// PEM certificates trusted beside the system's roots when
    /// NotifyInitiateAction goes to an `https://` URL: the CA of a PM that
    /// serves a private certificate.
    pub trusted_ca: Option<String>,
    /// The PM's DelegatedOTPNotification endpoint: when set, the OTP of the
    /// SMS fallback goes there for the PM to send, not to the cardholder.
    pub delegated_otp_url: Option<String>,
}

/// `settings.thredd.on_missed_answer`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnMissedAnswer {
    #[default]
    Wait,
    Fail,
    Fallback,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            notify_initiate_action_url: None,
            validation_timeout: Dur::secs(30),
            prog_mgr_code: "ABC".to_owned(),
            token_ttl: Dur::secs(14_400),
            issuer: super::jwt::ISSUER.to_owned(),
            signing_alg: super::jwt::Alg::default(),
            notify_answer_timeout: Dur::secs(5),
            on_missed_answer: OnMissedAnswer::Wait,
            trusted_ca: None,
            delegated_otp_url: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    pub clients: Vec<Client>,
    #[serde(default)]
    pub cards: Vec<Card>,
}

/// An oAuth client: the PM's (`token`) or the validator's (`introspect`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    #[schemars(with = "String")]
    pub client_id: Spanned<String>,
    pub client_secret: String,
    /// `pm` (gets tokens) or `validator` (may introspect them).
    #[schemars(with = "String")]
    pub role: Spanned<String>,
}

/// A card enrolled for biometric / in-app authentication.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Card {
    #[schemars(with = "u64")]
    pub pubtoken: Spanned<u64>,
    /// The OTP SMS fallback's phone number; none means STEPUP fails.
    #[serde(default)]
    pub fallback_mobile: Option<String>,
    #[serde(default = "credential_type")]
    pub credential_type: String,
}

fn credential_type() -> String {
    "BIOMETRIC".to_owned()
}

/// The simulated program manager and cardholder.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// When set, the sandbox plays the PM itself: no NotifyInitiateAction is
    /// sent, and NotifyValidate is applied as this block says.
    #[serde(default)]
    pub pm: Option<Pm>,
    /// The fallback OTP SMS of STEPUP.
    #[serde(default)]
    pub sms: Option<SmsUser>,
}

/// How the simulated PM answers NotifyInitiateAction.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pm {
    pub decide: PmDecision,
    /// How long after the authentication starts the PM calls NotifyValidate.
    #[serde(default)]
    pub after: Dur,
}

/// The `Status` the simulated PM sends, or `ignore` to never call back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PmDecision {
    Success,
    Stepup,
    Failure,
    Failwithfeedback,
    Error,
    Ignore,
}

impl PmDecision {
    /// NotifyValidate's `Status`; `None` for `ignore`.
    pub(crate) fn status(self) -> Option<&'static str> {
        Some(match self {
            Self::Success => "SUCCESS",
            Self::Stepup => "STEPUP",
            Self::Failure => "FAILURE",
            Self::Failwithfeedback => "FAILWITHFEEDBACK",
            Self::Error => "ERROR",
            Self::Ignore => return None,
        })
    }
}

impl Settings {
    /// `trusted_ca` as certificates (checked when the scenario loaded, so a
    /// failure here cannot happen and yields none).
    pub(crate) fn trusted(&self) -> Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>> {
        self.trusted_ca
            .as_deref()
            .map(|pem| crate::outbound::certificates(pem).unwrap_or_default())
            .unwrap_or_default()
    }
}

pub(crate) fn validate(scenario: &Sections<'_>) -> Result<(), (Location, String)> {
    let settings = &scenario.settings.thredd;
    if settings.validation_timeout.0.as_secs() > MAX_VALIDATION_TIMEOUT {
        return Err((
            Location::UNKNOWN,
            format!("thredd validation_timeout is at most {MAX_VALIDATION_TIMEOUT}s"),
        ));
    }
    if let Some(pem) = &settings.trusted_ca {
        crate::outbound::certificates(pem)
            .map_err(|e| (Location::UNKNOWN, format!("thredd trusted_ca: {e}")))?;
    }
    if !crate::http::is_web_url(&settings.issuer) {
        return Err((
            Location::UNKNOWN,
            "thredd issuer is an http or https URL".to_owned(),
        ));
    }
    let fixtures = &scenario.fixtures.thredd;
    for client in &fixtures.clients {
        if !matches!(client.role.value.as_str(), "pm" | "validator") {
            return Err((client.role.referenced, "role is pm or validator".to_owned()));
        }
    }
    let mut seen = HashSet::new();
    for card in &fixtures.cards {
        if card.pubtoken.value > 999_999_999 || !seen.insert(card.pubtoken.value) {
            return Err((
                card.pubtoken.referenced,
                "a pubtoken is a unique number of at most 9 digits".to_owned(),
            ));
        }
        if !matches!(card.credential_type.as_str(), "BIOMETRIC" | "OUTOFBAND") {
            return Err((
                card.pubtoken.referenced,
                "credential_type is BIOMETRIC or OUTOFBAND".to_owned(),
            ));
        }
    }
    Ok(())
}
