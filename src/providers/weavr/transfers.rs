//! Multi's transactions that need the user's confirmation: sends and
//! outgoing wire transfers. Each is created `PENDING_CHALLENGE` and moves
//! only when its challenge is verified (see `sca`).

use serde::{Deserialize, Serialize};

use super::error::{InvalidFields, WeavrError};
use super::model::{
    managed_account_id, OwtView, SendView, TransferView, ACCOUNT_BALANCE, ACCOUNT_CURRENCY,
    OWT_PROFILE, SEND_PROFILE,
};
use super::store::SessionMut;

/// Which kind of transaction; the descriptions' `resourceType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Send,
    Owt,
}

impl Kind {
    pub(crate) fn parse(resource_type: &str) -> Option<Self> {
        match resource_type {
            "sends" => Some(Self::Send),
            "outgoing_wire_transfers" => Some(Self::Owt),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Send => "sends",
            Self::Owt => "outgoing_wire_transfers",
        }
    }
}

/// The states the sandbox plays of `SendState` and
/// `OutgoingWireTransferState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum State {
    PendingChallenge,
    /// A send once verified: the funds moved between managed instruments.
    Completed,
    /// A wire transfer once verified: handed to the sending institution.
    Submitted,
    /// The user rejected the push notification.
    Rejected,
    /// The challenge took too many wrong codes.
    Failed,
}

impl State {
    fn finished(self) -> bool {
        self != Self::PendingChallenge
    }
}

/// `{id, type}` of a managed instrument.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Instrument {
    id: String,
    #[serde(rename = "type")]
    kind: String,
}

/// `{currency, amount}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Amount {
    currency: String,
    amount: i64,
}

/// `POST /sends`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendCreate {
    profile_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    #[serde(deserialize_with = "crate::http::object")]
    source: Instrument,
    /// An instrument `{id, type}` or a beneficiary `{beneficiaryId}`.
    destination: serde_json::Map<String, serde_json::Value>,
    #[serde(deserialize_with = "crate::http::object")]
    destination_amount: Amount,
}

/// `POST /outgoing_wire_transfers`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OwtCreate {
    pub(crate) profile_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tag: Option<String>,
    #[serde(deserialize_with = "crate::http::object")]
    pub(crate) source_instrument: Instrument,
    #[serde(deserialize_with = "crate::http::object")]
    pub(crate) transfer_amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) destination_beneficiary: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Send(SendCreate),
    Owt(OwtCreate),
}

/// A send or an outgoing wire transfer.
#[derive(Debug)]
pub(crate) struct Transfer {
    pub(crate) id: String,
    pub(crate) owner: usize,
    pub(crate) state: State,
    pub(crate) body: Body,
    pub(crate) created_ms: i64,
    /// The challenge now confirming it, by id: only the newest counts.
    pub(crate) challenge: Option<String>,
    /// When the last OTP for it was sent, and how many were.
    pub(crate) otp_sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) otp_sends: u32,
}

impl Transfer {
    pub(crate) fn profile_id(&self) -> &str {
        match &self.body {
            Body::Send(s) => &s.profile_id,
            Body::Owt(o) => &o.profile_id,
        }
    }

    pub(crate) fn tag(&self) -> Option<&str> {
        match &self.body {
            Body::Send(s) => s.tag.as_deref(),
            Body::Owt(o) => o.tag.as_deref(),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        match self.body {
            Body::Send(_) => Kind::Send,
            Body::Owt(_) => Kind::Owt,
        }
    }

    /// The description's `Send` or `OutgoingWireTransfer`.
    pub(crate) fn view(&self) -> TransferView {
        let state = self.state;
        let creation_timestamp = self.created_ms;
        match &self.body {
            Body::Send(s) => TransferView::Send(SendView {
                id: self.id.clone(),
                request: s.clone(),
                transaction_amount: s.destination_amount.clone(),
                state,
                creation_timestamp,
            }),
            Body::Owt(o) => {
                let iban = o.destination_beneficiary.contains_key("iban")
                    || o.destination_beneficiary
                        .get("bankAccountDetails")
                        .is_some_and(|d| d.get("iban").is_some());
                TransferView::Owt(OwtView {
                    id: self.id.clone(),
                    profile_id: o.profile_id.clone(),
                    tag: o.tag.clone(),
                    source_instrument: o.source_instrument.clone(),
                    transfer_amount: o.transfer_amount.clone(),
                    description: o.description.clone(),
                    destination: o.destination_beneficiary.clone(),
                    kind: if iban { "SEPA" } else { "FASTER_PAYMENTS" },
                    rejected_info: (state == State::Rejected).then_some("USER"),
                    state,
                    creation_timestamp,
                })
            }
        }
    }
}

fn numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// What both kinds check alike: the profile, the tag, the source's id and
/// the amount's currency, named as each kind names them.
fn check_common(
    bad: &mut InvalidFields,
    profile_id: &str,
    tag: Option<&str>,
    source: (&str, &Instrument),
    amount: (&str, &Amount),
) {
    if !numeric(profile_id) {
        bad.flag("profileId", "REGEX", &["^[0-9]+$"]);
    }
    if tag.is_some_and(|t| {
        t.is_empty()
            || t.len() > 50
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }) {
        bad.flag("tag", "REGEX", &["^[a-zA-Z0-9_-]+$"]);
    }
    let (at, src) = source;
    if !numeric(&src.id) {
        bad.flag(format!("{at}.id"), "REGEX", &["^[0-9]+$"]);
    }
    let (at, amount) = amount;
    let c = &amount.currency;
    if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        bad.flag(format!("{at}.currency"), "REGEX", &["^[A-Z]*$"]);
    }
}

impl Body {
    /// Checks a new transaction as its description's schema does.
    pub(crate) fn check(&self) -> Result<(), WeavrError> {
        let mut bad = InvalidFields::default();
        match self {
            Self::Send(s) => {
                check_common(
                    &mut bad,
                    &s.profile_id,
                    s.tag.as_deref(),
                    ("source", &s.source),
                    ("destinationAmount", &s.destination_amount),
                );
                if !matches!(s.source.kind.as_str(), "managed_accounts" | "managed_cards") {
                    bad.flag("source.type", "IN", &["managed_cards", "managed_accounts"]);
                }
                let d = &s.destination;
                let instrument = d.get("id").and_then(|v| v.as_str()).is_some_and(numeric)
                    && matches!(
                        d.get("type").and_then(|v| v.as_str()),
                        Some("managed_accounts" | "managed_cards")
                    );
                let beneficiary = d
                    .get("beneficiaryId")
                    .and_then(|v| v.as_str())
                    .is_some_and(numeric);
                if instrument == beneficiary {
                    bad.flag("destination", "REQUIRES", &["id+type", "beneficiaryId"]);
                }
            }
            Self::Owt(o) => {
                check_common(
                    &mut bad,
                    &o.profile_id,
                    o.tag.as_deref(),
                    ("sourceInstrument", &o.source_instrument),
                    ("transferAmount", &o.transfer_amount),
                );
                if o.source_instrument.kind != "managed_accounts" {
                    bad.flag("sourceInstrument.type", "IN", &["managed_accounts"]);
                }
                check_beneficiary(&mut bad, &o.destination_beneficiary);
            }
        }
        bad.done()
    }
}

/// A SEPA `{name, iban}`, a Faster Payments `{name, type, accountNumber,
/// sortCode}`, the deprecated `{name, bankAccountDetails, type?}`, or a saved
/// `{beneficiaryId}`. Faster Payments needs `type` and a name of at most 140
/// characters, SEPA one of at most 150.
fn check_beneficiary(bad: &mut InvalidFields, b: &serde_json::Map<String, serde_json::Value>) {
    let at = "destinationBeneficiary";
    let text = |k: &str| b.get(k).and_then(|v| v.as_str());
    if text("beneficiaryId").is_some_and(numeric) {
        return;
    }
    let (details, details_at) = match b.get("bankAccountDetails").and_then(|v| v.as_object()) {
        Some(nested) => (nested, format!("{at}.bankAccountDetails")),
        None => (b, at.to_owned()),
    };
    if !bad.bank_details(Some(details), &details_at) {
        bad.flag(
            at,
            "REQUIRES",
            &["iban", "accountNumber+sortCode", "beneficiaryId"],
        );
        return;
    }
    let faster_payments = !details.contains_key("iban");
    let longest = if faster_payments { 140 } else { 150 };
    match text("name") {
        Some(name) => bad.size(&format!("{at}.name"), name, 1, longest),
        None => bad.flag(format!("{at}.name"), "REQUIRED", &[]),
    }
    if faster_payments && !matches!(text("type"), Some("PERSONAL" | "BUSINESS")) {
        bad.flag(format!("{at}.type"), "IN", &["PERSONAL", "BUSINESS"]);
    }
}

impl SessionMut<'_> {
    /// A new transaction, `PENDING_CHALLENGE`, after the checks the
    /// descriptions give as 409s: the profile, the source account, the
    /// amount, the currency and the funds.
    /// Creates a send or wire transfer: its id, and the answer.
    pub(crate) fn create_transfer(
        &mut self,
        body: Body,
    ) -> Result<(String, TransferView), WeavrError> {
        let (profile, wanted, source, amount) = match &body {
            Body::Send(s) => (
                &s.profile_id,
                SEND_PROFILE,
                &s.source,
                &s.destination_amount,
            ),
            Body::Owt(o) => (
                &o.profile_id,
                OWT_PROFILE,
                &o.source_instrument,
                &o.transfer_amount,
            ),
        };
        let conflict = WeavrError::conflict;
        if profile != wanted {
            return Err(conflict("PROFILE_NOT_FOUND"));
        }
        if source.kind != "managed_accounts" || source.id != managed_account_id(self.user_index) {
            return Err(conflict("SOURCE_NOT_FOUND"));
        }
        if let Body::Send(s) = &body {
            if s.destination.get("id").and_then(|v| v.as_str()) == Some(source.id.as_str()) {
                return Err(conflict("SOURCE_AND_DESTINATION_MUST_BE_DIFFERENT"));
            }
        }
        if amount.amount < 1 {
            return Err(conflict("AMOUNT_INVALID"));
        }
        if amount.currency != ACCOUNT_CURRENCY {
            return Err(conflict("CURRENCY_MISMATCH"));
        }
        if amount.amount > ACCOUNT_BALANCE {
            return Err(conflict("FUNDS_INSUFFICIENT"));
        }
        let c = self.ctx;
        let forgotten = self
            .data
            .transfers
            .make_room(c.cap, |t| t.state.finished())
            .map_err(WeavrError::too_many)?;
        if let Some((id, t)) = forgotten {
            if let Some(mine) = self.data.owned.get_mut(&t.owner) {
                mine.swap_remove(&id);
            }
        }
        // Numeric ids, as Weavr's, unique in the tenant.
        let id = loop {
            let id = format!("1{}", c.ids.digits(17));
            if !self.data.transfers.contains_key(&id) {
                break id;
            }
        };
        let transfer = Transfer {
            id: id.clone(),
            owner: self.user_index,
            state: State::PendingChallenge,
            body,
            created_ms: c.now.timestamp_millis(),
            challenge: None,
            otp_sent_at: None,
            otp_sends: 0,
        };
        let view = transfer.view();
        let now_ms = c.now.timestamp_millis();
        self.data
            .hooks
            .note(|| super::webhooks::transfer(&transfer, now_ms));
        self.data.transfers.insert(id.clone(), transfer);
        self.data
            .owned
            .entry(self.user_index)
            .or_default()
            .insert(id.clone());
        Ok((id, view))
    }

    /// One of this user's transactions of `kind`: 404 otherwise.
    pub(crate) fn transfer(&self, kind: Kind, id: &str) -> Result<&Transfer, WeavrError> {
        self.data
            .transfers
            .get(id)
            .filter(|t| t.owner == self.user_index && t.kind() == kind)
            .ok_or_else(|| WeavrError::not_found(kind.name()))
    }
}
