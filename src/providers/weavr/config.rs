//! Weavr's part of a scenario file: `settings.weavr` and `fixtures.weavr`.

use std::collections::HashSet;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::providers::{Sections, SectionsMut};
use crate::terms::{Dur, Otp, SmsUser};

/// Lifetimes and limits. The defaults are the guide's and Weavr's sandbox's.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// A new step-up challenge may be issued this long after the previous one.
    pub retry_after: Dur,
    /// How many re-issues a step-up challenge allows ("one retry").
    pub max_retries: u32,
    /// A token dies after this long without activity.
    pub token_idle_timeout: Dur,
    /// A challenge's code works for this long.
    pub challenge_ttl: Dur,
    /// Wrong codes a challenge takes before it is dead.
    pub max_verify_attempts: u32,
    /// Wrong passwords in a row before the login is locked.
    pub max_login_attempts: u32,
    /// How long a locked login stays locked.
    pub lockout: Dur,
    /// The code every SMS carries (`"123456"`, as Weavr's sandbox), or `random`.
    pub otp: Otp,
    /// Where Weavr's webhooks go: `{url, secret?, events?}`, the events by
    /// their paths (`/stepup/watch`). None are sent without it.
    pub webhooks: Option<crate::providers::webhooks::Receiver>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retry_after: Dur::secs(15),
            max_retries: 1,
            token_idle_timeout: Dur::secs(300),
            challenge_ttl: Dur::secs(300),
            max_verify_attempts: 3,
            max_login_attempts: 5,
            lockout: Dur::secs(1800),
            otp: Otp::default(),
            webhooks: None,
        }
    }
}

/// The API keys and users that exist from the start.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub api_keys: Vec<Spanned<String>>,
    #[serde(default)]
    pub users: Vec<User>,
}

/// A buyer's user who logs in with a password.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    #[schemars(with = "String")]
    pub email: Spanned<String>,
    pub password: String,
    #[serde(default)]
    pub mobile: Option<String>,
    /// Whether the SMS factor is already enrolled.
    #[serde(default)]
    pub sms_enrolled: bool,
    /// `ADMIN` or `USER` (Payment Run's credential types).
    #[serde(default = "admin")]
    pub role: String,
    /// The push channel enrolled on the user's phone, `BIOMETRIC` or
    /// `AUTHY`, if any.
    #[serde(default)]
    pub push: Option<PushChannel>,
    #[serde(default = "first_name")]
    pub name: String,
    #[serde(default = "last_name")]
    pub surname: String,
    /// The user's company: a buyer (Payment Run) or a corporate (Multi).
    #[serde(default = "company")]
    pub company: String,
}

fn admin() -> String {
    "ADMIN".to_owned()
}

fn first_name() -> String {
    "Alex".to_owned()
}

fn last_name() -> String {
    "Taylor".to_owned()
}

fn company() -> String {
    "Sandbox Trading Ltd".to_owned()
}

/// Weavr's push channels (`SCAPushChannel`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum PushChannel {
    Biometric,
    Authy,
}

impl PushChannel {
    pub(crate) fn parse(channel: &str) -> Option<Self> {
        [Self::Biometric, Self::Authy]
            .into_iter()
            .find(|c| c.name() == channel)
    }

    /// The channel as Weavr writes it in paths and answers.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Biometric => "BIOMETRIC",
            Self::Authy => "AUTHY",
        }
    }
}

/// The simulated Weavr user's phone: its codes and when its SMS arrive.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// Overrides `settings.weavr.otp`.
    #[serde(default)]
    pub otp: Option<Otp>,
    #[serde(default)]
    pub sms: Option<SmsUser>,
    /// How the user answers push notifications on the phone.
    #[serde(default)]
    pub push: PushUser,
}

/// The simulated user's answer to a push challenge.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PushUser {
    #[serde(default)]
    pub decide: PushDecision,
    /// Decide this long (sandbox time) after the push is sent.
    #[serde(default)]
    pub after: Option<Dur>,
}

/// What the simulated user does with a push notification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PushDecision {
    Approve,
    Reject,
    /// Does nothing: the push waits for the control API, or expires.
    #[default]
    Ignore,
}

/// `users.weavr.otp` decides the codes Weavr sends, over `settings.weavr.otp`.
pub(crate) fn apply_users(scenario: &mut SectionsMut<'_>) {
    if let Some(otp) = scenario.users.weavr.otp.clone() {
        scenario.settings.weavr.otp = otp;
    }
}

pub(crate) fn validate(scenario: &Sections<'_>) -> Result<(), (Location, String)> {
    let fixtures = &scenario.fixtures.weavr;
    let mut seen = HashSet::new();
    for user in &fixtures.users {
        if !seen.insert(user.email.value.to_ascii_lowercase()) {
            return Err((
                user.email.referenced,
                format!("duplicate email `{}`", user.email.value),
            ));
        }
        if !matches!(user.role.as_str(), "ADMIN" | "USER") {
            return Err((user.email.referenced, "role is ADMIN or USER".to_owned()));
        }
        if user.sms_enrolled && user.mobile.is_none() {
            return Err((
                user.email.referenced,
                "an enrolled SMS factor needs a mobile number".to_owned(),
            ));
        }
    }
    let push = &scenario.users.weavr.push;
    if push.decide == PushDecision::Ignore && push.after.is_some() {
        let at = fixtures
            .api_keys
            .first()
            .map_or(Location::UNKNOWN, |k| k.referenced);
        return Err((
            at,
            "`users.weavr.push`: `decide: ignore` takes no `after`".to_owned(),
        ));
    }
    let settings = &scenario.settings.weavr;
    if let Some(receiver) = &settings.webhooks {
        let paths: Vec<&str> = super::webhooks::EVENTS.iter().map(|(p, _)| *p).collect();
        receiver.validate(&paths)?;
    }
    if settings.max_verify_attempts == 0 || settings.max_login_attempts == 0 {
        let at = fixtures
            .api_keys
            .first()
            .map_or(Location::UNKNOWN, |k| k.referenced);
        return Err((at, "attempt limits count from 1".to_owned()));
    }
    Ok(())
}
