//! The actions a change request holds back, and applying one once it is
//! confirmed: what the original call would have answered.

use serde_json::{json, Value};

use super::store::{stamp, Ctx, Inner};
use crate::display::{self, Summary};

/// The action a change request holds back until it is confirmed.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    SepaCreditTransfer { account_id: String, body: Value },
    UpdatePerson { patch: Value },
    DeleteMobileNumber,
    AddTrustedIban { iban: String },
}

impl Action {
    /// What the person is asked to approve, for the dashboard.
    pub(crate) fn summary(&self) -> Summary {
        match self {
            Self::SepaCreditTransfer { account_id, body } => {
                let text = |field: &str| body[field].as_str().map(str::to_owned);
                let amount = &body["amount"];
                Summary {
                    title: "SEPA credit transfer".to_owned(),
                    amount: amount["value"].as_i64().map(|value| {
                        display::money(value, 2, amount["currency"].as_str().unwrap_or("EUR"))
                    }),
                    payee: text("recipient_name"),
                    iban: text("recipient_iban"),
                    reference: text("description").filter(|d| !d.is_empty()),
                    account: Some(account_id.clone()),
                    ..Summary::default()
                }
            }
            Self::UpdatePerson { patch } => Summary {
                title: "Change personal details".to_owned(),
                reference: patch
                    .as_object()
                    .map(|fields| fields.keys().cloned().collect::<Vec<_>>().join(", ")),
                ..Summary::default()
            },
            Self::DeleteMobileNumber => Summary {
                title: "Remove the mobile number".to_owned(),
                ..Summary::default()
            },
            Self::AddTrustedIban { iban } => Summary {
                title: "Trust an IBAN".to_owned(),
                iban: Some(iban.clone()),
                ..Summary::default()
            },
        }
    }
}

/// Applies a confirmed action: what the original call would have answered.
pub(super) fn apply(
    inner: &mut Inner,
    ctx: Ctx<'_>,
    person_id: &str,
    action: Action,
) -> (u16, Value) {
    let Ok(person) = inner.person_mut(person_id) else {
        return (
            404,
            json!({ "errors": [{ "code": "model_not_found", "detail": "The person no longer exists" }] }),
        );
    };
    match action {
        Action::SepaCreditTransfer { account_id, body } => {
            let amount = body["amount"]["value"].as_i64().unwrap_or(0);
            let Some(account) = person.accounts.iter_mut().find(|a| a.0 == account_id) else {
                return (
                    404,
                    json!({ "errors": [{ "code": "model_not_found", "detail": "The account no longer exists" }] }),
                );
            };
            if account.2 < amount {
                return (
                    400,
                    json!({ "errors": [{ "code": "insufficient_funds", "detail": "Insufficient funds" }] }),
                );
            }
            account.2 -= amount;
            let mut transfer = body;
            transfer["id"] = json!(ctx.ids.hex(32));
            transfer["account_id"] = json!(account_id);
            transfer["status"] = json!("accepted");
            transfer["created_at"] = json!(stamp(&ctx.now));
            (201, transfer)
        }
        Action::UpdatePerson { patch } => {
            if let Some(v) = patch["first_name"].as_str() {
                person.first_name = Some(v.to_owned());
            }
            if let Some(v) = patch["last_name"].as_str() {
                person.last_name = Some(v.to_owned());
            }
            if patch["address"].is_object() {
                person.address = Some(patch["address"].clone());
            }
            (200, serde_json::to_value(person.view()).unwrap_or_default())
        }
        Action::DeleteMobileNumber => match person.mobile.take() {
            Some(mobile) => (200, serde_json::to_value(mobile.view()).unwrap_or_default()),
            None => (
                404,
                json!({ "errors": [{ "code": "model_not_found", "detail": "No mobile number" }] }),
            ),
        },
        Action::AddTrustedIban { iban } => {
            let trusted = json!({ "id": ctx.ids.hex(32), "iban": iban, "person_id": person.id, "created_at": stamp(&ctx.now) });
            person.trusted_ibans.push(trusted.clone());
            (201, trusted)
        }
    }
}
