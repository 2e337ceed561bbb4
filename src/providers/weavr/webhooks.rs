//! The webhooks Weavr sends for the flows the sandbox serves, as its webhook
//! description gives them: a push step-up settled (`/stepup/watch`), a
//! password login verified or declined (`/login/watch`), the SMS factor
//! enrolled (`/authentication_factors/watch`), and each state a send
//! or an outgoing wire transfer reaches (`/send/watch`,
//! `/outgoing_wire_transfers/watch`).
//!
//! Each is a POST to the receiver's base URL with the event's path
//! appended, with `call-ref`, `published-timestamp` (epoch milliseconds),
//! `signature` (base64 HMAC-SHA256 of the timestamp) and `signature-v2` (of
//! call-ref, payload and timestamp, in that order), both keyed with the API
//! key. The receiver answers 204; any 2xx counts. Weavr publishes no retry
//! policy; the sandbox retries a failed delivery 4 times, after 1 min, 5 min,
//! 30 min and 2 h of sandbox time.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::config::PushChannel;
use super::model::{credentials_id, identity_id};
use super::sca::Outcome;
use super::transfers::{Body, State, Transfer};
use crate::providers::webhooks::{Extras, Hook, Policy, LADDER};
use crate::providers::{Provider, World};

/// The events, as the description's paths name them, and their operation
/// ids for scenario rules.
pub(crate) const EVENTS: &[(&str, &str)] = &[
    ("/stepup/watch", "weavr.webhook.stepup"),
    ("/login/watch", "weavr.webhook.login"),
    (
        "/authentication_factors/watch",
        "weavr.webhook.authentication_factors",
    ),
    ("/send/watch", "weavr.webhook.send"),
    (
        "/outgoing_wire_transfers/watch",
        "weavr.webhook.outgoing_wire_transfers",
    ),
];

/// The operation ids of [`EVENTS`].
pub(crate) const OPERATIONS: &[&str] = &[
    "weavr.webhook.stepup",
    "weavr.webhook.login",
    "weavr.webhook.authentication_factors",
    "weavr.webhook.send",
    "weavr.webhook.outgoing_wire_transfers",
];

static POLICY: Policy = Policy {
    // Weavr publishes none: the ladder's first four steps.
    backoff: LADDER.split_at(4).0,
    verdict: crate::providers::webhooks::any_2xx,
    unanswered: crate::providers::webhooks::Verdict::Retry,
    timeout: Duration::from_secs(10),
    attempt_header: None,
    expects: 204,
};

/// An event the store noted, published after its lock is let go.
#[derive(Debug)]
pub(crate) struct Pending {
    /// Index into [`EVENTS`].
    event: usize,
    subject: String,
    body: Map<String, Value>,
}

/// The events noted while the store's lock is held. Only a scenario that
/// names a receiver notes any, so a world without one builds no bodies.
#[derive(Debug, Default)]
pub(crate) struct Noted {
    on: bool,
    pub(crate) pending: Vec<Pending>,
}

impl Noted {
    pub(crate) fn new(on: bool) -> Self {
        Self {
            on,
            pending: Vec::new(),
        }
    }

    /// Notes the event `make` builds, if anyone receives webhooks.
    pub(crate) fn note(&mut self, make: impl FnOnce() -> Pending) {
        if self.on {
            self.pending.push(make());
        }
    }
}

/// The identity and credential of a fixture user, as Multi names them.
fn who(user: usize, admin: bool) -> (Value, Value) {
    (
        json!({ "type": "CORPORATE", "id": identity_id(user) }),
        json!({ "type": if admin { "ROOT" } else { "USER" }, "id": credentials_id(user) }),
    )
}

/// A login with a password: `VERIFIED`, or `DECLINED` for a wrong
/// password. The description's `type` is the login's kind ("with password
/// or with auth/access token").
pub(crate) fn login(
    user: usize,
    identity_type: &str,
    credential_type: &str,
    verified: bool,
) -> Pending {
    // The description's `CredentialId` knows ROOT, USER and API_CLIENT:
    // Payment Run's admin is its root user.
    let credential_type = if credential_type == "ADMIN" {
        "ROOT"
    } else {
        credential_type
    };
    let body = json!({
        "credential": { "type": credential_type, "id": credentials_id(user) },
        "identity": { "type": identity_type, "id": identity_id(user) },
        "type": "PASSWORD",
        "status": if verified { "VERIFIED" } else { "DECLINED" },
    });
    pending(1, &credentials_id(user), body)
}

/// A push step-up that ended.
pub(crate) fn stepup(
    challenge: &str,
    user: usize,
    admin: bool,
    channel: PushChannel,
    outcome: Outcome,
) -> Pending {
    let (identity, credential) = who(user, admin);
    let status = match outcome {
        Outcome::Approved => "VERIFIED",
        Outcome::Rejected => "DECLINED",
        Outcome::Expired => "EXPIRED",
    };
    let body = json!({
        "challengeId": challenge,
        "credential": credential,
        "identity": identity,
        "type": channel.name(),
        "status": status,
    });
    pending(0, challenge, body)
}

/// The SMS factor enrolled.
pub(crate) fn enrolled(user: usize) -> Pending {
    let body = json!({
        "credentialId": { "type": "USER", "id": credentials_id(user) },
        "type": "SMS_OTP",
        "status": "ACTIVE",
    });
    pending(2, &credentials_id(user), body)
}

/// A transaction's state, as it now is.
pub(crate) fn transfer(t: &Transfer, now_ms: i64) -> Pending {
    let state = t.state;
    let name = state_name(state);
    let executed = matches!(state, State::Completed | State::Rejected | State::Failed)
        .then(|| now_ms.to_string());
    match &t.body {
        Body::Send(s) => {
            let view = serde_json::to_value(s).unwrap_or(Value::Null);
            let amount = legacy_amount(&view["destinationAmount"]);
            let mut send = json!({
                "id": { "type": "sends", "id": t.id },
                "profileId": view["profileId"],
                "source": view["source"],
                "destination": view["destination"],
                "destinationAmount": amount,
                "transactionAmount": amount,
                "state": name,
                "creationTimestamp": t.created_ms.to_string(),
            });
            extend(&mut send, &view, &["tag", "description"]);
            if let Some(at) = executed {
                send["executionTimestamp"] = Value::String(at);
            }
            // `SendEventSendEventType` has no REJECTED: a rejected send's
            // event is FAILED, its state REJECTED.
            let event = if state == State::Rejected {
                "FAILED"
            } else {
                name
            };
            pending(3, &t.id, json!({ "eventType": event, "send": send }))
        }
        Body::Owt(o) => {
            let view = serde_json::to_value(o).unwrap_or(Value::Null);
            let amount = legacy_amount(&view["transferAmount"]);
            let (kind, destination) = destination(&o.destination_beneficiary);
            let mut transfer = json!({
                "id": { "type": "outgoing_wire_transfers", "id": t.id },
                "profileId": o.profile_id,
                "source": view["sourceInstrument"],
                "transferAmount": amount,
                "transactionAmount": amount,
                "type": kind,
                "destination": destination,
                "state": name,
                "creationTimestamp": t.created_ms.to_string(),
            });
            extend(&mut transfer, &view, &["tag", "description"]);
            if let Some(at) = executed {
                transfer["executionTimestamp"] = Value::String(at);
            }
            let body = json!({
                "owner": { "type": "corporates", "id": identity_id(t.owner) },
                "eventType": name,
                "transfer": transfer,
            });
            pending(4, &t.id, body)
        }
    }
}

fn state_name(state: State) -> &'static str {
    match state {
        State::PendingChallenge => "PENDING_CHALLENGE",
        State::Completed => "COMPLETED",
        State::Submitted => "SUBMITTED",
        State::Rejected => "REJECTED",
        State::Failed => "FAILED",
    }
}

fn pending(event: usize, subject: &str, body: Value) -> Pending {
    let Value::Object(body) = body else {
        unreachable!("every event body is an object")
    };
    Pending {
        event,
        subject: subject.to_owned(),
        body,
    }
}

/// `{currency, amount}` with the amount as the legacy schema's digits.
fn legacy_amount(amount: &Value) -> Value {
    json!({
        "currency": amount["currency"],
        "amount": amount["amount"].as_i64().unwrap_or_default().to_string(),
    })
}

fn extend(target: &mut Value, from: &Value, keys: &[&str]) {
    for key in keys {
        if let Some(v) = from.get(*key).filter(|v| !v.is_null()) {
            target[*key] = v.clone();
        }
    }
}

/// Multi's `destinationBeneficiary` as the legacy `Destination`, and the
/// wire transfer's type.
fn destination(b: &Map<String, Value>) -> (&'static str, Value) {
    let mut out = json!({ "beneficiaryName": b.get("name").cloned().unwrap_or_default() });
    for (from, to) in [
        ("address", "beneficiaryAddress"),
        ("bankName", "beneficiaryBankName"),
        ("bankAddress", "beneficiaryBankAddress"),
        ("bankCountry", "beneficiaryBankCountry"),
    ] {
        if let Some(v) = b.get(from) {
            out[to] = v.clone();
        }
    }
    let details = b.get("bankAccountDetails").unwrap_or(&Value::Null);
    let iban = details.get("iban").or_else(|| b.get("iban"));
    if let Some(iban) = iban {
        let mut sepa = json!({ "iban": iban });
        let bic = details
            .get("bankIdentifierCode")
            .or_else(|| b.get("bankIdentifierCode"));
        if let Some(bic) = bic {
            sepa["bankIdentifierCode"] = bic.clone();
        }
        out["sepa"] = sepa;
        ("SEPA", out)
    } else {
        out["fasterPayments"] = json!({
            "accountNumber": details.get("accountNumber").cloned().unwrap_or_default(),
            "sortCode": details.get("sortCode").cloned().unwrap_or_default(),
        });
        ("FASTER_PAYMENTS", out)
    }
}

/// The key webhooks are signed with: the receiver's `secret`, or the
/// tenant's first API key.
fn key(world: &World) -> Option<String> {
    let receiver = world.settings().weavr.webhooks.as_ref();
    receiver
        .and_then(|r| r.secret.clone())
        .or_else(|| world.stores().weavr.first_api_key().map(str::to_owned))
}

/// A call carrying Weavr's signature headers, checked with the tenant's key.
pub(crate) fn check(
    world: &World,
    header: &dyn Fn(&str) -> Option<String>,
    body: &str,
) -> Option<bool> {
    header("signature-v2")?;
    Some(key(world).is_some_and(|key| verify(&key, header, body)))
}

/// Hands the noted events to the engine, signed, if the scenario names a
/// receiver that wants them.
pub(crate) fn publish(world: &World, events: Vec<Pending>) {
    let Some(receiver) = world.settings().weavr.webhooks.as_ref() else {
        return;
    };
    let Some(secret) = key(world) else { return };
    for Pending {
        event,
        subject,
        mut body,
    } in events
    {
        let (path, operation) = EVENTS[event];
        if !receiver.wants(path) {
            continue;
        }
        let published = world.now().timestamp_millis().to_string();
        body.insert(
            "publishedTimestamp".into(),
            Value::String(published.clone()),
        );
        let payload = Value::Object(body).to_string();
        let call_ref = world.ids().uuid().to_string();
        let (v1, v2) = signatures(&secret, &call_ref, &payload, &published);
        let hook = Hook {
            provider: Provider::Weavr,
            event: path,
            operation,
            url: receiver.url_for(path),
            headers: vec![
                ("call-ref", call_ref),
                ("published-timestamp", published),
                ("signature", v1),
                ("signature-v2", v2),
            ],
            signatures: &["signature", "signature-v2"],
            body: payload,
            secret: secret.clone(),
            verify,
            policy: &POLICY,
            subject,
            extras: Extras::default(),
        };
        crate::providers::webhooks::send(world, hook);
    }
}

/// `signature` and `signature-v2`, as the description defines them.
pub(crate) fn signatures(
    key: &str,
    call_ref: &str,
    payload: &str,
    published: &str,
) -> (String, String) {
    let v1 = crate::crypto::hmac_sha256_base64(key.as_bytes(), &[published.as_bytes()]);
    let v2 = crate::crypto::hmac_sha256_base64(
        key.as_bytes(),
        &[
            call_ref.as_bytes(),
            payload.as_bytes(),
            published.as_bytes(),
        ],
    );
    (v1, v2)
}

/// Both signatures check out, as a receiver following the description
/// checks them.
fn verify(key: &str, header: &dyn Fn(&str) -> Option<String>, body: &str) -> bool {
    let (Some(published), Some(v1), Some(v2)) = (
        header("published-timestamp"),
        header("signature"),
        header("signature-v2"),
    ) else {
        return false;
    };
    let call_ref = header("call-ref").unwrap_or_default();
    let (want1, want2) = signatures(key, &call_ref, body, &published);
    crate::secret::eq(&want1, &v1) && crate::secret::eq(&want2, &v2)
}
