//! Solaris' request bodies.

use serde::Deserialize;

/// `POST /v1/mfa/devices`.
#[derive(Debug, Deserialize)]
pub(crate) struct Register {
    pub(crate) person_id: String,
    pub(crate) key: String,
    pub(crate) key_type: String,
    #[serde(default)]
    pub(crate) key_purpose: Option<String>,
    pub(crate) name: String,
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
