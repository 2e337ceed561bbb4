//! Weavr's wire types: request bodies, and the answers the descriptions give
//! for logins, factors, accounts and pages.

use chrono::{DateTime, TimeDelta, Utc};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::error::WeavrError;
use super::routes::Profile;
use super::runs::RunStatus;
use super::store::StepUp;
use super::transfers::{Amount, Instrument, SendCreate, State};
use crate::http::Request;

/// `POST .../login_with_password`.
#[derive(Debug, Deserialize)]
pub(crate) struct Login {
    pub(crate) email: String,
    #[serde(deserialize_with = "crate::http::object")]
    pub(crate) password: Password,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Password {
    pub(crate) value: String,
}

/// `POST .../verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verify {
    #[serde(default)]
    pub(crate) verification_code: Option<String>,
    /// The batch form's verify names the kind of its resources as well.
    #[serde(default)]
    pub(crate) resource_type: Option<String>,
}

/// `POST /multi/access_token`.
#[derive(Debug, Deserialize)]
pub(crate) struct AccessToken {
    #[serde(deserialize_with = "crate::http::object")]
    pub(crate) identity: Identity,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Identity {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) id: String,
}

/// When the fixtures' buyers, corporates and accounts were created: before
/// any sandbox clock starts (2024-01-01T00:00:00Z, in milliseconds).
pub(crate) const FIXTURES_CREATED_MS: i64 = 1_704_067_200_000;

/// The demo programme's profiles: a managed account's, and the ones a send
/// and an outgoing wire transfer are created with.
pub(crate) const MANAGED_ACCOUNT_PROFILE: &str = "110747174434375000";
pub(crate) const SEND_PROFILE: &str = "110747174434375100";
pub(crate) const OWT_PROFILE: &str = "110747174434375200";

/// Stable numeric ids for a fixture user, shaped like Weavr's.
pub(crate) fn identity_id(user: usize) -> String {
    format!("{}", 110_747_174_434_373_600u64 + user as u64)
}

pub(crate) fn credentials_id(user: usize) -> String {
    format!("{}", 110_747_174_434_373_700u64 + user as u64)
}

pub(crate) fn managed_account_id(user: usize) -> String {
    format!("{}", 110_747_174_434_373_800u64 + user as u64)
}

/// `{type, id}`: an identity or a credential.
#[derive(Debug, Serialize)]
pub(crate) struct TypedId {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) id: String,
}

/// The login answer of each product, and Multi's access-token answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginAnswer {
    pub(crate) token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) token_type: Option<&'static str>,
    pub(crate) identity: TypedId,
    pub(crate) credentials: TypedId,
    /// Only in the access-token answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<&'static str>,
}

/// A login's answer: who logged in, with the product's identity and
/// credential types.
/// The identity's and the credentials' types of a user's login.
pub(crate) fn login_types(profile: Profile, role: &str) -> (&'static str, &'static str) {
    match profile {
        Profile::PaymentRun => ("BUYER", if role == "ADMIN" { "ADMIN" } else { "USER" }),
        Profile::Multi => ("CORPORATE", if role == "ADMIN" { "ROOT" } else { "USER" }),
    }
}

pub(crate) fn login_answer(profile: Profile, token: &str, user: usize, role: &str) -> LoginAnswer {
    let (identity_type, credentials_type) = login_types(profile, role);
    LoginAnswer {
        token: token.to_owned(),
        token_type: Some("AUTH"),
        identity: TypedId {
            kind: identity_type,
            id: identity_id(user),
        },
        credentials: TypedId {
            kind: credentials_type,
            id: credentials_id(user),
        },
        status: None,
    }
}

pub(crate) fn status_name(step_up: StepUp) -> &'static str {
    match step_up {
        StepUp::SteppedUp => "STEPPED_UP",
        StepUp::Standard => "STANDARD",
    }
}

/// One factor of `GET /authentication_factors`.
#[derive(Debug, Serialize)]
pub(crate) struct Factor {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) channel: &'static str,
}

/// `offset` and `limit` of a list operation: from 0, and 1 to 100.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    offset: usize,
    limit: usize,
}

impl Page {
    pub(crate) fn of_query(req: &Request) -> Result<Self, WeavrError> {
        let number = |name: &'static str, default: usize, min: usize, max: usize| {
            let Some(raw) = req.query_param(name) else {
                return Ok(default);
            };
            raw.parse::<usize>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    WeavrError::field(name, "RANGE", &[&min.to_string(), &max.to_string()])
                })
        };
        Ok(Self {
            offset: number("offset", 0, 0, i32::MAX as usize)?,
            limit: number("limit", 100, 1, 100)?,
        })
    }

    pub(crate) fn of<T>(self, items: &[T]) -> &[T] {
        let start = self.offset.min(items.len());
        let end = start.saturating_add(self.limit).min(items.len());
        &items[start..end]
    }
}

/// A managed account of Multi's `ManagedAccount`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManagedAccount {
    id: String,
    profile_id: &'static str,
    friendly_name: &'static str,
    currency: &'static str,
    balances: Balances,
    state: InstrumentState,
    creation_timestamp: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Balances {
    available_balance: i64,
    actual_balance: i64,
}

#[derive(Debug, Serialize)]
struct InstrumentState {
    state: &'static str,
}

/// Every fixture user's corporate has one EUR account.
pub(crate) const ACCOUNT_CURRENCY: &str = "EUR";
pub(crate) const ACCOUNT_BALANCE: i64 = 1_000_000;

pub(crate) fn managed_account(user: usize) -> ManagedAccount {
    ManagedAccount {
        id: managed_account_id(user),
        profile_id: MANAGED_ACCOUNT_PROFILE,
        friendly_name: "Operating account",
        currency: ACCOUNT_CURRENCY,
        balances: Balances {
            available_balance: ACCOUNT_BALANCE,
            actual_balance: ACCOUNT_BALANCE,
        },
        state: InstrumentState { state: "ACTIVE" },
        creation_timestamp: FIXTURES_CREATED_MS,
    }
}

/// A Payment Run linked account, with its open-banking consent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkedAccount {
    id: String,
    account_identification: Iban,
    currency: &'static str,
    institution: Institution,
    consent: Consent,
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct Iban {
    iban: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Institution {
    display_name: &'static str,
    countries: [&'static str; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Consent {
    expires_at: String,
    /// Whole days left: the description gives no unit, and open-banking
    /// consents are counted in days (90 of them).
    expires_in: i64,
    status: &'static str,
}

/// A consent is renewed for 90 days whenever it is read: the sandbox plays
/// an account that stays linked.
const CONSENT_DAYS: i64 = 90;

pub(crate) fn linked_account(user: usize, now: DateTime<Utc>) -> LinkedAccount {
    LinkedAccount {
        id: format!("652d25b73541d8084a88a3{:02x}", user % 256),
        account_identification: Iban {
            iban: "GB33BUKB20201555555555",
        },
        currency: "GBP",
        institution: Institution {
            display_name: "Sandbox Bank",
            countries: ["GB"],
        },
        consent: Consent {
            expires_at: crate::timefmt::millis(&(now + TimeDelta::days(CONSENT_DAYS))),
            expires_in: CONSENT_DAYS,
            status: "ACTIVE",
        },
        status: "LINKED",
    }
}

/// A page of a list as Weavr answers one: the page's items under the list's
/// own name (`users`, `paymentRuns`, `accounts`...), `count` (all that
/// match) and `responseCount` (on this page).
#[derive(Debug)]
pub(crate) struct Listing<T> {
    pub(crate) key: &'static str,
    pub(crate) items: Vec<T>,
    pub(crate) count: usize,
}

impl<T: Serialize> Serialize for Listing<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry("count", &self.count)?;
        map.serialize_entry("responseCount", &self.items.len())?;
        map.end()
    }
}

/// `GET /multi/authentication_factors`.
#[derive(Debug, Serialize)]
pub(crate) struct Factors {
    pub(crate) factors: Vec<Factor>,
}

/// A transaction challenge's id, as a batch or a resource's OTP answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScaChallengeId {
    pub(crate) sca_challenge_id: String,
}

/// A push challenge's id.
#[derive(Debug, Serialize)]
pub(crate) struct ChallengeId {
    pub(crate) id: String,
}

/// The simulator's answer: `COMPLETED` or `DENIED`.
#[derive(Debug, Serialize)]
pub(crate) struct SimulatorOutcome {
    pub(crate) code: &'static str,
}

/// A send or a wire transfer, as the description's `Send` and
/// `OutgoingWireTransfer` give it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum TransferView {
    Send(SendView),
    Owt(OwtView),
}

/// A send: the request as made, and what Weavr adds.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendView {
    pub(crate) id: String,
    #[serde(flatten)]
    pub(crate) request: SendCreate,
    pub(crate) transaction_amount: Amount,
    pub(crate) state: State,
    pub(crate) creation_timestamp: i64,
}

/// An outgoing wire transfer: its beneficiary is its `destination`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OwtView {
    pub(crate) id: String,
    pub(crate) profile_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tag: Option<String>,
    pub(crate) source_instrument: Instrument,
    pub(crate) transfer_amount: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) destination: serde_json::Map<String, Value>,
    /// `SEPA` to an IBAN, `FASTER_PAYMENTS` otherwise.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rejected_info: Option<&'static str>,
    pub(crate) state: State,
    pub(crate) creation_timestamp: i64,
}

/// A run as the description's `PaymentRun` gives it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunView {
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payment_run_ref: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tag: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<Value>,
    pub(crate) status: RunStatus,
    pub(crate) payments: Vec<PaymentView>,
    pub(crate) buyer_id: String,
    pub(crate) created_by: String,
    pub(crate) created_at: String,
}

/// One payment of a run: as requested, with its id and the run's status.
#[derive(Debug, Serialize)]
pub(crate) struct PaymentView {
    #[serde(flatten)]
    pub(crate) request: serde_json::Map<String, Value>,
    pub(crate) id: String,
    pub(crate) status: RunStatus,
}
