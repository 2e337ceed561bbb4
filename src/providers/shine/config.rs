//! Shine's part of a scenario file: `settings.shine`, `fixtures.shine` and
//! `users.shine`.

use std::collections::HashSet;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::providers::Sections;
use crate::terms::Dur;

/// Lifetimes. The defaults are Shine's guide's.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// How long the user has to confirm an action request ("expires after three
    /// minutes").
    pub action_request_ttl: Dur,
    /// How long the short-lived token of a confirmed request is usable.
    pub token_ttl: Dur,
    /// Lifetime of access tokens issued by the OAuth token endpoint.
    pub access_token_ttl: Dur,
    /// Lifetime of OAuth authorization codes.
    pub authorization_code_ttl: Dur,
    /// How long finished action requests and transfers stay readable before
    /// they are swept from memory.
    pub retention: Dur,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            action_request_ttl: Dur::secs(180),
            token_ttl: Dur::secs(60),
            access_token_ttl: Dur::secs(3600),
            authorization_code_ttl: Dur::secs(600),
            retention: Dur::secs(900),
        }
    }
}

/// The partner clients, users and recipients that exist from the start.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    pub clients: Vec<Client>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
}

/// A partner application registered with Shine, with the redirect URIs it
/// registered: `authorize` sends codes to those only, as Shine does.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    #[schemars(with = "String")]
    pub client_id: Spanned<String>,
    pub client_secret: String,
    /// Where `authorize` may send the user back, compared whole.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// A Shine user who has connected the partner application.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    #[schemars(with = "String")]
    pub uid: Spanned<String>,
    /// A long-lived access token for this user, usable as `Bearer` at once.
    #[schemars(with = "String")]
    pub access_token: Spanned<String>,
    #[serde(default)]
    pub company_profile_id: Option<String>,
    #[serde(default)]
    pub company_user_id: Option<String>,
    /// The bank account transfers are made from.
    #[serde(default)]
    pub bank_account_id: Option<String>,
}

/// A transfer recipient (beneficiary) known to Shine.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub name: String,
    pub iban: String,
}

/// The simulated Shine user.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Users {
    #[serde(default)]
    pub action_request: Decision,
}

/// How the simulated user answers action requests.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    #[serde(default)]
    #[schemars(with = "Option<Decide>")]
    pub decide: Option<Spanned<Decide>>,
    /// Decide this long (sandbox time) after the request is created.
    #[serde(default)]
    pub after: Option<Dur>,
    /// Decide once this many polls have been answered `PENDING`.
    #[serde(default)]
    pub after_polls: Option<u32>,
}

/// What the simulated user does with an action request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decide {
    Confirm,
    Reject,
    /// Does nothing: the request waits for the control API, or expires.
    #[default]
    Ignore,
}

impl Decision {
    pub(crate) fn decide(&self) -> Decide {
        self.decide.as_ref().map(|d| d.value).unwrap_or_default()
    }
}

pub(crate) fn validate(scenario: &Sections<'_>) -> Result<(), (Location, String)> {
    let fixtures = &scenario.fixtures.shine;
    unique(fixtures.clients.iter().map(|c| &c.client_id), "client_id")?;
    unique(fixtures.users.iter().map(|u| &u.uid), "uid")?;
    unique(
        fixtures.users.iter().map(|u| &u.access_token),
        "access_token",
    )?;
    unique(fixtures.recipients.iter().map(|r| &r.id), "recipient id")?;
    let decision = &scenario.users.shine.action_request;
    if let Some(decide) = &decision.decide {
        let timed = decision.after.is_some() || decision.after_polls.is_some();
        if decision.after.is_some() && decision.after_polls.is_some() {
            return Err((
                decide.referenced,
                "give `after` or `after_polls`, not both".to_owned(),
            ));
        }
        if decide.value == Decide::Ignore && timed {
            return Err((
                decide.referenced,
                "`decide: ignore` takes no `after` or `after_polls`".to_owned(),
            ));
        }
    }
    Ok(())
}

fn unique<'a>(
    values: impl Iterator<Item = &'a Spanned<String>>,
    what: &str,
) -> Result<(), (Location, String)> {
    let mut seen = HashSet::new();
    for value in values {
        if !seen.insert(value.value.as_str()) {
            return Err((
                value.referenced,
                format!("duplicate {what} `{}`", value.value),
            ));
        }
    }
    Ok(())
}
