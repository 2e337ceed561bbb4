//! Shine's wire types, as Shine's SCA guide and its API reference show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

/// Shine's timestamps carry nanoseconds: `2019-11-28T17:08:17.455967000Z`.
use crate::timefmt::nanos;

/// The only action whose short-lived token an endpoint here consumes.
pub(crate) const ACTION_TRANSFER_CREATE: &str = "bank:transfers:create";

/// `POST /v2/authentication/oauth2/action_request`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateActionRequest {
    pub(crate) action: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) uid: String,
    pub(crate) payload: Box<RawValue>,
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
pub(crate) struct TransferBody {
    /// Kept as sent, so `234` is echoed as `234`, not `234.0`.
    pub(crate) amount: serde_json::Number,
    pub(crate) bank_transfer_recipient_id: String,
    #[serde(default)]
    pub(crate) uid: Option<String>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
    #[serde(default)]
    pub(crate) user_label: Option<String>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum Status {
    Pending,
    Confirmed,
    Rejected,
    /// Shine leaves expiry to `expiresAt`; we also say so in the status.
    Expired,
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
