//! Solaris' part of a scenario file: `settings.solaris` and `fixtures.solaris`.

use std::collections::HashSet;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::providers::{Sections, SectionsMut};
use crate::terms::{Dur, Otp, SmsUser};

/// Lifetimes and limits. The defaults are the Solaris mock's.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// A change request must be confirmed this long after it was created.
    pub change_request_ttl: Dur,
    /// SMS, signature and device challenges live this long.
    pub challenge_ttl: Dur,
    /// OAuth access tokens live this long.
    pub token_ttl: Dur,
    /// Bound devices a person may have.
    pub max_devices: usize,
    /// The TAN of `delivery_method: static`.
    pub static_tan: String,
    /// An activation code (sent by post) binds a device within this long.
    pub activation_code_ttl: Dur,
    /// A receiver subscribed from the start: `{url, secret?, events?}`, the
    /// events by their types (`BOOKING`).
    pub webhooks: Option<crate::providers::webhooks::Receiver>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            change_request_ttl: Dur::secs(300),
            challenge_ttl: Dur::secs(300),
            token_ttl: Dur::secs(3599),
            max_devices: 5,
            static_tan: "212212".to_owned(),
            activation_code_ttl: Dur::secs(30 * 24 * 3600),
            webhooks: None,
        }
    }
}

/// OAuth clients, persons and their accounts.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    pub clients: Vec<Client>,
    #[serde(default)]
    pub persons: Vec<Person>,
}

/// A partner's OAuth client.
pub(crate) use crate::terms::OAuthClient as Client;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// A verified mobile number.
    #[serde(default)]
    pub mobile_number: Option<String>,
    /// `"212212"`-style fixed codes or `random` for this person's SMS.
    #[serde(default = "fixed_otp")]
    pub otp: String,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: String,
    pub iban: String,
    /// Available balance in cents.
    #[serde(default)]
    pub balance: i64,
}

/// The simulated Solaris customer's phone.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// Overrides every person's `otp`.
    #[serde(default)]
    pub otp: Option<Otp>,
    #[serde(default)]
    pub sms: Option<SmsUser>,
}

fn fixed_otp() -> String {
    "212212".to_owned()
}

/// `users.solaris.otp` decides every person's code, over the fixtures'.
pub(crate) fn apply_users(scenario: &mut SectionsMut<'_>) {
    if let Some(otp) = &scenario.users.solaris.otp {
        for person in &mut scenario.fixtures.solaris.persons {
            otp.as_text().clone_into(&mut person.otp);
        }
    }
}

pub(crate) fn validate(scenario: &Sections<'_>) -> Result<(), (Location, String)> {
    if let Some(receiver) = &scenario.settings.solaris.webhooks {
        let events: Vec<&str> = super::webhooks::EVENTS.iter().map(|(e, _)| *e).collect();
        receiver.validate(&events)?;
    }
    let mut seen = HashSet::new();
    for client in &scenario.fixtures.solaris.clients {
        if !seen.insert(client.client_id.value.as_str()) {
            return Err((
                client.client_id.referenced,
                format!("duplicate client_id `{}`", client.client_id.value),
            ));
        }
    }
    let mut seen = HashSet::new();
    for person in &scenario.fixtures.solaris.persons {
        if !seen.insert(person.id.value.as_str()) {
            return Err((
                person.id.referenced,
                format!("duplicate person id `{}`", person.id.value),
            ));
        }
        let otp = &person.otp;
        if otp != "random" && !(otp.len() == 6 && otp.bytes().all(|b| b.is_ascii_digit())) {
            return Err((
                person.id.referenced,
                "otp is six digits or `random`".to_owned(),
            ));
        }
    }
    Ok(())
}
