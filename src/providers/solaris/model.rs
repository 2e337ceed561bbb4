//! Solaris' wire types: the request bodies, and the answers (change requests,
//! devices and their keys, signature challenges) with the key purposes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/mfa/devices`.
#[derive(Debug, Deserialize)]
pub(crate) struct Register {
    pub(crate) person_id: String,
    pub(crate) key: String,
    pub(crate) key_type: String,
    #[serde(default)]
    pub(crate) key_purpose: Option<String>,
    pub(crate) name: String,
    /// `sms` (the default) or `activation_code`.
    #[serde(default)]
    pub(crate) challenge_type: Option<String>,
}

/// `POST /v1/mfa/devices/{id}/keys`.
#[derive(Debug, Deserialize)]
pub(crate) struct AddKey {
    pub(crate) key: String,
    pub(crate) key_type: String,
    pub(crate) key_purpose: String,
    #[serde(deserialize_with = "crate::http::object")]
    pub(crate) device_signature: DeviceSignature,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeviceSignature {
    pub(crate) signature_key_purpose: String,
    pub(crate) signature: String,
}

/// `POST /v1/change_requests/{id}/authorize`.
#[derive(Debug, Deserialize)]
pub(crate) struct Authorize {
    pub(crate) person_id: String,
    pub(crate) delivery_method: String,
    #[serde(default)]
    pub(crate) device_id: Option<String>,
}

/// `POST /v1/change_requests/{id}/confirm`: a TAN, or a device signature.
#[derive(Debug, Deserialize)]
pub(crate) struct Confirm {
    #[serde(default)]
    pub(crate) person_id: Option<String>,
    #[serde(default)]
    pub(crate) tan: Option<String>,
    #[serde(default)]
    pub(crate) device_id: Option<String>,
    #[serde(default)]
    pub(crate) signature: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Number {
    pub(crate) number: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NumberWithToken {
    pub(crate) number: String,
    pub(crate) token: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PersonId {
    pub(crate) person_id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Token {
    pub(crate) token: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Iban {
    pub(crate) iban: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Signature {
    pub(crate) signature: String,
    #[serde(default)]
    pub(crate) device_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeviceChallengeRequest {
    pub(crate) device_id: String,
    #[serde(default)]
    pub(crate) key_purpose: Option<String>,
}

/// A change request as Solaris answers it: what the client does next is in
/// the fields its status brings.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChangeRequestView {
    pub(crate) id: String,
    pub(crate) status: &'static str,
    pub(crate) updated_at: String,
    /// `AUTHORIZATION_REQUIRED`, and `CONFIRMATION_REQUIRED` by SMS: where to
    /// authorise it, absolute once the handler has the request's origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) url: Option<String>,
    /// `CONFIRMATION_REQUIRED` by device signing: what to sign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) string_to_sign: Option<String>,
    /// `COMPLETED`: the guarded action's own answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response_body: Option<ActionAnswer>,
}

impl ChangeRequestView {
    /// Makes `url` one the client can call as it is: the scheme, host and
    /// tenant the request came on, where the guide shows `:env`.
    pub(crate) fn absolute(mut self, req: &crate::http::Request, base_path: &str) -> Self {
        if let Some(path) = self.url.take() {
            self.url = Some(format!("{}{base_path}/solaris{path}", req.origin()));
        }
        self
    }
}

/// For the dashboard: a request that can still be authorised or confirmed,
/// with who and until when.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OpenChangeRequest {
    #[serde(flatten)]
    pub(crate) view: ChangeRequestView,
    pub(crate) person_id: String,
    pub(crate) expires_at: String,
    /// What it holds back, for the dashboard.
    pub(crate) summary: crate::display::Summary,
}

/// A virtual device the sandbox holds the key of, for the control API.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VirtualDeviceView {
    pub(crate) id: String,
    pub(crate) person_id: String,
    pub(crate) key_purpose: &'static str,
    pub(crate) key: String,
}

/// A bound device, as `GET /v1/mfa/devices` and `/{id}` answer it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeviceView {
    pub(crate) id: String,
    pub(crate) person_id: String,
    pub(crate) name: String,
    pub(crate) created_at: String,
}

/// A signature challenge: the device binding's, as `POST /v1/mfa/devices`
/// and `GET /v1/mfa/challenges/signatures/{id}` answer it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SignatureChallengeView {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) created_at: String,
    pub(crate) expires_at: String,
}

/// `POST /v1/mfa/challenges/devices`: a challenge for a bound device to
/// sign, with what it signs.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeviceChallengeView {
    #[serde(flatten)]
    pub(crate) challenge: SignatureChallengeView,
    pub(crate) string_to_sign: String,
}

/// `POST /v1/mfa/devices`: the device, bound once its challenge is signed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeviceRegistered {
    pub(crate) id: String,
    pub(crate) challenge: SignatureChallengeView,
}

/// `GET /v1/mfa/devices/{id}/keys`: the device with its keys.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeviceKeys {
    pub(crate) person_id: String,
    pub(crate) device_id: String,
    pub(crate) name: String,
    pub(crate) keys: Vec<KeyView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct KeyView {
    pub(crate) key_id: String,
    pub(crate) key_purpose: &'static str,
}

/// What a create answers with: the new object's id.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Created {
    pub(crate) id: String,
}

/// Which key of a device: `restricted` keys need the user's presence
/// (biometrics) and are required for data changes and transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Purpose {
    Restricted,
    Unrestricted,
}

impl Purpose {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Restricted => "restricted",
            Self::Unrestricted => "unrestricted",
        }
    }
}

/// A person as `GET /v1/persons/{id}` answers it (the fields the sandbox
/// keeps; the verified mobile number only).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PersonView {
    pub(crate) id: String,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) address: Option<Value>,
    pub(crate) mobile_number: Option<String>,
}

/// A person's mobile number.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MobileNumberView {
    pub(crate) id: String,
    pub(crate) number: String,
    pub(crate) verified: bool,
}

/// An SMS challenge, as `POST /v1/mfa/challenges/sms` and its GET answer it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SmsChallengeView {
    pub(crate) id: String,
    pub(crate) person_id: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) created_at: String,
    pub(crate) expires_at: String,
}

/// The deprecated `POST /oauth/token`: 201.
#[derive(Debug, Serialize)]
pub(crate) struct LegacyToken {
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: u64,
    pub(crate) access_token: String,
}

/// `POST /oauth2/token`, as RFC 6749 writes the answer.
#[derive(Debug, Serialize)]
pub(crate) struct OAuth2Token {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) scope: &'static str,
    pub(crate) token_type: &'static str,
}

/// What a confirmed change request's action answered, as its
/// `response_body` gives it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum ActionAnswer {
    Transfer(SepaTransfer),
    Person(PersonView),
    MobileNumber(MobileNumberView),
    TrustedIban(TrustedIban),
    Refused(ActionErrors),
}

/// A SEPA credit transfer made: the request as sent, with what Solaris adds.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SepaTransfer {
    #[serde(flatten)]
    pub(crate) request: serde_json::Map<String, Value>,
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) status: &'static str,
    pub(crate) created_at: String,
}

/// An IBAN the person trusts.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrustedIban {
    pub(crate) id: String,
    pub(crate) iban: String,
    pub(crate) person_id: String,
    pub(crate) created_at: String,
}

/// Why an action failed once confirmed: Solaris' list, code and detail.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ActionErrors {
    pub(crate) errors: [ActionError; 1],
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ActionError {
    pub(crate) code: &'static str,
    pub(crate) detail: &'static str,
}

impl ActionErrors {
    pub(crate) fn new(code: &'static str, detail: &'static str) -> Self {
        Self {
            errors: [ActionError { code, detail }],
        }
    }
}
