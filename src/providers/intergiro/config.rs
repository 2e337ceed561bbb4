//! Intergiro's part of a scenario file: `settings.intergiro`,
//! `fixtures.intergiro` and `users.intergiro`.

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::providers::Sections;
use crate::terms::Dur;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub access_token_ttl: Dur,
    pub refresh_token_ttl: Dur,
    /// How long a pending consent (and its hosted page) lives.
    pub consent_ttl: Dur,
    /// The passcode the hosted page accepts.
    pub passcode: String,
    /// What Intergiro's review makes of an individual's onboarding data:
    /// `activate` (at once), `block`, or `manual` (the control API decides).
    pub onboarding_review: Review,
    /// Where Intergiro's webhooks go: `{url, events?}`, the events by their
    /// names (`IndividualActivated`). Intergiro signs none, so no `secret`.
    pub webhooks: Option<crate::providers::webhooks::Receiver>,
}

/// `settings.intergiro.onboarding_review`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Review {
    #[default]
    Activate,
    Block,
    Manual,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_ttl: Dur::secs(900),
            refresh_token_ttl: Dur::secs(86_400),
            consent_ttl: Dur::secs(900),
            passcode: "1234".to_owned(),
            onboarding_review: Review::Activate,
            webhooks: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    pub api_keys: Vec<String>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub cards: Vec<Card>,
    /// End users to onboard (`POST /v3/individuals/{id}/onboard`).
    #[serde(default)]
    pub individuals: Vec<Individual>,
}

/// An individual, as `POST /v3/individuals` would have created them.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Individual {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// `created` (to onboard) or `active` (onboarded).
    #[serde(default = "created")]
    pub status: String,
}

fn created() -> String {
    "created".to_owned()
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    #[serde(default = "eur")]
    pub currency: String,
    #[serde(default)]
    pub iban: Option<String>,
    /// The BIC of its bank details (Intergiro's, `FTCSSESSXXX`, by default).
    #[serde(default)]
    pub bic: Option<String>,
}

fn eur() -> String {
    "EUR".to_owned()
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Card {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub active: bool,
}

/// The simulated user on the consent page.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Users {
    #[serde(default)]
    pub consent: Decision,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    #[serde(default)]
    pub decide: Decide,
    /// How long after the consent is initiated the user decides.
    #[serde(default)]
    pub after: Option<Dur>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decide {
    Approve,
    Decline,
    /// The user never acts: the page or the control API decides, or the consent expires.
    #[default]
    Ignore,
}

pub(crate) fn validate(scenario: &Sections<'_>) -> Result<(), (Location, String)> {
    if let Some(receiver) = &scenario.settings.intergiro.webhooks {
        receiver.validate(super::webhooks::NAMES)?;
        if receiver.secret.is_some() {
            return Err((
                receiver.url.referenced,
                "Intergiro signs no webhook: `settings.intergiro.webhooks` takes no `secret`"
                    .to_owned(),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    let f = &scenario.fixtures.intergiro;
    for id in f
        .accounts
        .iter()
        .map(|a| &a.id)
        .chain(f.cards.iter().map(|c| &c.id))
        .chain(f.individuals.iter().map(|i| &i.id))
    {
        if !seen.insert(id.value.as_str()) {
            return Err((
                id.referenced,
                format!("duplicate account, card or individual id `{}`", id.value),
            ));
        }
    }
    for individual in &f.individuals {
        if !matches!(individual.status.as_str(), "created" | "active") {
            return Err((
                individual.id.referenced,
                "an individual's status is created or active".to_owned(),
            ));
        }
    }
    Ok(())
}
