//! Shine's wire types, as Shine's SCA guide and its API reference show them.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::http;
/// Shine's timestamps carry nanoseconds: `2019-11-28T17:08:17.455967000Z`.
use crate::timefmt::nanos;

/// The only action whose short-lived token an endpoint here consumes.
pub(crate) const ACTION_TRANSFER_CREATE: &str = "bank:transfers:create";

/// `POST /v2/authentication/oauth2/action_request`. The strings are borrowed
/// from the body when they hold no escapes: nothing here outlives the request.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateActionRequest<'a> {
    #[serde(borrow)]
    pub(crate) action: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) client_id: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) client_secret: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) uid: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) payload: &'a RawValue,
}

/// Client credentials, from the poll's query or body, or the revoke body.
#[derive(Debug, Deserialize)]
pub(crate) struct ClientCredentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
}

/// The payload of `bank:transfers:create` and the body of `POST /v3/bank/transfers`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransferBody<'a> {
    /// Kept as sent, so `234` is echoed as `234`, not `234.0`.
    pub(crate) amount: serde_json::Number,
    #[serde(borrow)]
    pub(crate) bank_transfer_recipient_id: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "http::optional_borrowed")]
    pub(crate) uid: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "http::optional_borrowed")]
    pub(crate) currency: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "http::optional_borrowed")]
    pub(crate) user_label: Option<Cow<'a, str>>,
}

/// `GET|POST /v2/authentication/oauth2/token`.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenRequest {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) grant_type: String,
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) redirect_uri: Option<String>,
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
}

/// `POST /v2/authentication/oauth2/token/revoke`.
#[derive(Debug, Deserialize)]
pub(crate) struct RevokeRequest {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) token: String,
}

/// The status of an action request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Confirmed,
    Rejected,
    /// Never decided, and past `expiresAt`: it can no longer be confirmed.
    /// Shine has no such status (a client reads expiry from `expiresAt`),
    /// so the wire still says `PENDING`; the control API can select these.
    Expired,
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.wire_name())
    }
}

impl Status {
    /// The status as Shine writes it: `PENDING`, `CONFIRMED` or `REJECTED`.
    pub(crate) fn wire_name(self) -> &'static str {
        match self {
            Self::Expired => Self::Pending.name(),
            other => other.name(),
        }
    }

    /// The sandbox's own name, which tells an expired request apart.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Confirmed => "CONFIRMED",
            Self::Rejected => "REJECTED",
            Self::Expired => "EXPIRED",
        }
    }
}

/// An action request as Shine returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionRequestView<'a> {
    pub(crate) authentication_action_request_id: Uuid,
    pub(crate) client_id: &'a str,
    pub(crate) action: &'a str,
    pub(crate) payload: &'a RawValue,
    pub(crate) uid: &'a str,
    pub(crate) status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) token: Option<&'a str>,
    #[serde(serialize_with = "nanos")]
    pub(crate) created_at: DateTime<Utc>,
    #[serde(serialize_with = "nanos")]
    pub(crate) updated_at: DateTime<Utc>,
    #[serde(serialize_with = "nanos")]
    pub(crate) expires_at: DateTime<Utc>,
}

impl ActionRequestView<'_> {
    /// `{"data": <view>, "metadata": {}}`, written by hand: this is the answer
    /// to every create and poll, and serde's general path spent most of its
    /// time escaping strings that cannot need it (ids, timestamps, statuses).
    /// Strings a client chose still go through serde_json's escaping.
    pub(crate) fn to_envelope_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(480 + self.payload.get().len());
        out.extend_from_slice(b"{\"data\":{\"authenticationActionRequestId\":\"");
        let mut id = uuid::Uuid::encode_buffer();
        out.extend_from_slice(
            self.authentication_action_request_id
                .hyphenated()
                .encode_lower(&mut id)
                .as_bytes(),
        );
        out.extend_from_slice(b"\",\"clientId\":");
        write_str(&mut out, self.client_id);
        out.extend_from_slice(b",\"action\":");
        write_str(&mut out, self.action);
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(self.payload.get().as_bytes());
        out.extend_from_slice(b",\"uid\":");
        write_str(&mut out, self.uid);
        out.extend_from_slice(b",\"status\":\"");
        out.extend_from_slice(self.status.wire_name().as_bytes());
        out.push(b'"');
        if let Some(token) = self.token {
            out.extend_from_slice(b",\"token\":");
            write_str(&mut out, token);
        }
        let stamp = |at| crate::timefmt::Stamp::new(at, crate::timefmt::Precision::Nanos);
        let created = stamp(&self.created_at);
        // A request that has not changed was updated when it was created.
        let updated = (self.updated_at != self.created_at).then(|| stamp(&self.updated_at));
        for (key, at) in [
            (&b",\"createdAt\":\""[..], &created),
            (b",\"updatedAt\":\"", updated.as_ref().unwrap_or(&created)),
            (b",\"expiresAt\":\"", &stamp(&self.expires_at)),
        ] {
            out.extend_from_slice(key);
            out.extend_from_slice(at.as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"},\"metadata\":{}}");
        out
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Ids and names nearly always hold nothing serde_json escapes (control
    // characters, quotes, backslashes), and then it would copy them as is.
    let plain = !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Shine wraps every answer in `{data, metadata}`.
#[derive(Debug, Serialize)]
pub(crate) struct Envelope<T> {
    pub(crate) data: T,
    pub(crate) metadata: Metadata,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Metadata {}

impl<T> Envelope<T> {
    pub(crate) fn new(data: T) -> Self {
        Self {
            data,
            metadata: Metadata {},
        }
    }
}

/// A transfer created with a short-lived token.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Transfer {
    pub(crate) bank_transfer_id: Uuid,
    pub(crate) uid: String,
    pub(crate) amount: serde_json::Number,
    pub(crate) currency: String,
    pub(crate) bank_transfer_recipient_id: String,
    pub(crate) recipient_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_label: Option<String>,
    pub(crate) status: &'static str,
    /// The action request whose confirmation authorised this transfer.
    pub(crate) authentication_action_request_id: Uuid,
    #[serde(serialize_with = "nanos")]
    pub(crate) created_at: DateTime<Utc>,
}

/// The OAuth token response.
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: i64,
    pub(crate) metadata: TokenMetadata,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenMetadata {
    pub(crate) company_profile_id: Option<String>,
    pub(crate) uid: String,
    pub(crate) company_user_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written answer is exactly what serde would write.
    #[test]
    fn the_hand_written_envelope_matches_serde() {
        let payload = RawValue::from_string(r#"{"amount":234,"uid":"u\"1"}"#.to_owned()).unwrap();
        let now = chrono::Utc::now();
        let later = now + chrono::TimeDelta::milliseconds(1500);
        for (token, updated_at) in [(None, now), (Some("slt_abc"), later)] {
            let view = ActionRequestView {
                authentication_action_request_id: Uuid::from_u128(0x1234),
                client_id: "client \"one\" <b>",
                action: "bank:transfers:create",
                payload: &payload,
                uid: "user-1\n",
                status: Status::Confirmed,
                token,
                created_at: now,
                updated_at,
                expires_at: later,
            };
            let by_hand: serde_json::Value =
                serde_json::from_slice(&view.to_envelope_json()).unwrap();
            let by_serde = serde_json::to_value(Envelope::new(&view)).unwrap();
            assert_eq!(by_hand, by_serde);
        }
    }

    #[test]
    fn strings_are_written_byte_for_byte_as_serde_writes_them() {
        for s in [
            "user-1",
            "",
            "a\"b",
            "back\\slash",
            "tab\t",
            "\u{7f}",
            "é ü",
            "<b>",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
