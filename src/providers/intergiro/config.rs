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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_ttl: Dur::secs(900),
            refresh_token_ttl: Dur::secs(86_400),
            consent_ttl: Dur::secs(900),
            passcode: "1234".to_owned(),
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
    let mut seen = std::collections::HashSet::new();
    let f = &scenario.fixtures.intergiro;
    for id in f
        .accounts
        .iter()
        .map(|a| &a.id)
        .chain(f.cards.iter().map(|c| &c.id))
    {
        if !seen.insert(id.value.as_str()) {
            return Err((
                id.referenced,
                format!("duplicate account or card id `{}`", id.value),
            ));
        }
    }
    Ok(())
}
