//! Shine's fixtures: partner clients, users and recipients. Immutable for
//! the life of a world, so read without a lock.

use std::sync::Arc;

use super::error::ShineError;
use crate::ids::FastMap;
use crate::providers::Sections;
use crate::secret;

/// The fixtures of one world.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    /// Client ids and user ids are shared with every action request that
    /// names them, rather than copied into each.
    /// Each client's secret and registered redirect URIs.
    clients: FastMap<Arc<str>, (String, Vec<String>)>,
    users: FastMap<Arc<str>, UserInfo>,
    tokens: FastMap<String, String>,
    recipients: FastMap<String, String>,
    /// The recipients in the fixtures' order, for the recipients query.
    recipient_list: Vec<Recipient>,
    /// The user `authorize` consents for when the request names none.
    first_uid: Option<String>,
}

/// A bank-transfer recipient as Shine answers it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Recipient {
    pub(crate) bank_transfer_recipient_id: String,
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) iban: String,
    pub(crate) usable_for_sct: bool,
    pub(crate) is_user_bank_account: bool,
    /// Milliseconds, as Shine's recipients carry it.
    pub(crate) created_at: i64,
}

/// The fixtures' recipients were created before any sandbox clock starts
/// (2024-01-01T00:00:00Z).
const FIXTURES_CREATED_MS: i64 = 1_704_067_200_000;

#[derive(Debug)]
pub(crate) struct UserInfo {
    pub(crate) company_profile_id: Option<String>,
    pub(crate) company_user_id: Option<String>,
}

impl Directory {
    pub(crate) fn new(scenario: &Sections<'_>) -> Self {
        let f = &scenario.fixtures.shine;
        Self {
            clients: f
                .clients
                .iter()
                .map(|c| {
                    let id = c.client_id.value.as_str().into();
                    (id, (c.client_secret.clone(), c.redirect_uris.clone()))
                })
                .collect(),
            users: f
                .users
                .iter()
                .map(|u| {
                    let info = UserInfo {
                        company_profile_id: u.company_profile_id.clone(),
                        company_user_id: u.company_user_id.clone(),
                    };
                    (u.uid.value.as_str().into(), info)
                })
                .collect(),
            tokens: f
                .users
                .iter()
                .map(|u| (u.access_token.value.clone(), u.uid.value.clone()))
                .collect(),
            recipients: f
                .recipients
                .iter()
                .map(|r| (r.id.value.clone(), r.name.clone()))
                .collect(),
            recipient_list: f
                .recipients
                .iter()
                .map(|r| Recipient {
                    bank_transfer_recipient_id: r.id.value.clone(),
                    name: r.name.clone(),
                    label: r.name.clone(),
                    iban: r.iban.clone(),
                    usable_for_sct: true,
                    is_user_bank_account: false,
                    created_at: FIXTURES_CREATED_MS,
                })
                .collect(),
            first_uid: f.users.first().map(|u| u.uid.value.clone()),
        }
    }

    /// Checks a client's credentials, the secret in constant time; the
    /// client's id. Shine names which of the two was wrong.
    pub(crate) fn authenticate(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<&Arc<str>, ShineError> {
        match self.clients.get_key_value(client_id) {
            Some((id, (expected, _))) if secret::eq(expected, secret) => Ok(id),
            Some(_) => Err(ShineError::client_secret_mismatch()),
            None => Err(ShineError::client_not_found()),
        }
    }

    /// The id of a user of the fixtures.
    pub(crate) fn user(&self, uid: &str) -> Option<&Arc<str>> {
        self.users.get_key_value(uid).map(|(id, _)| id)
    }

    /// What the token response tells about a user.
    pub(crate) fn user_info(&self, uid: &str) -> Option<&UserInfo> {
        self.users.get(uid)
    }

    pub(crate) fn has_client(&self, client_id: &str) -> bool {
        self.clients.contains_key(client_id)
    }

    /// Whether `uri` is one the client registered.
    pub(crate) fn registered_redirect(&self, client_id: &str, uri: &str) -> bool {
        self.clients
            .get(client_id)
            .is_some_and(|(_, uris)| uris.iter().any(|u| u == uri))
    }

    pub(crate) fn first_user(&self) -> Option<&str> {
        self.first_uid.as_deref()
    }

    pub(crate) fn recipient_name(&self, id: &str) -> Option<&str> {
        self.recipients.get(id).map(String::as_str)
    }

    pub(crate) fn recipients(&self) -> &[Recipient] {
        &self.recipient_list
    }

    pub(crate) fn recipient(&self, id: &str) -> Option<&Recipient> {
        self.recipient_list
            .iter()
            .find(|r| r.bank_transfer_recipient_id == id)
    }

    /// The uid behind a fixture access token.
    pub(crate) fn fixture_token_user(&self, token: &str) -> Option<&str> {
        self.tokens.get(token).map(String::as_str)
    }
}
