//! The actions a change request holds back, and applying one once it is
//! confirmed: what the original call would have answered.

use serde_json::Value;

use super::model::{ActionAnswer, ActionErrors, SepaTransfer, TrustedIban};

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
) -> (u16, ActionAnswer) {
    let refused = |status, code, detail| {
        (
            status,
            ActionAnswer::Refused(ActionErrors::new(code, detail)),
        )
    };
    let Ok(person) = inner.person_mut(person_id) else {
        return refused(404, "model_not_found", "The person no longer exists");
    };
    match action {
        Action::SepaCreditTransfer { account_id, body } => {
            let amount = body["amount"]["value"].as_i64().unwrap_or(0);
            let Some(account) = person.accounts.iter_mut().find(|a| a.0 == account_id) else {
                return refused(404, "model_not_found", "The account no longer exists");
            };
            if account.2 < amount {
                return refused(400, "insufficient_funds", "Insufficient funds");
            }
            account.2 -= amount;
            let mut request = match body {
                Value::Object(fields) => fields,
                _ => serde_json::Map::new(),
            };
            // What Solaris sets wins over what the client sent.
            for field in ["id", "account_id", "status", "created_at"] {
                request.remove(field);
            }
            let transfer = SepaTransfer {
                request,
                id: ctx.ids.hex(32),
                account_id,
                status: "accepted",
                created_at: stamp(&ctx.now),
            };
            (201, ActionAnswer::Transfer(transfer))
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
            (200, ActionAnswer::Person(person.view()))
        }
        Action::DeleteMobileNumber => match person.mobile.take() {
            Some(mobile) => (200, ActionAnswer::MobileNumber(mobile.view())),
            None => refused(404, "model_not_found", "No mobile number"),
        },
        Action::AddTrustedIban { iban } => {
            let trusted = TrustedIban {
                id: ctx.ids.hex(32),
                iban,
                person_id: person.id.clone(),
                created_at: stamp(&ctx.now),
            };
            person.trusted_ibans.push(trusted.clone());
            (201, ActionAnswer::TrustedIban(trusted))
        }
    }
}
