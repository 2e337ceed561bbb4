//! Device challenges: a bound device proves it holds its key by signing a
//! string the sandbox chose.

use chrono::{DateTime, Utc};

use super::devices::{signature_error, verified};
use super::error::SolarisError;
use super::model::{DeviceChallengeView, Purpose, SignatureChallengeView};
use super::store::{already_completed, expired, stamp, Ctx, Store};
use crate::crypto;

#[derive(Debug)]
pub(crate) struct DeviceChallenge {
    id: String,
    device_id: String,
    purpose: Purpose,
    string_to_sign: String,
    created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    done: bool,
}

impl Store {
    pub(crate) fn create_device_challenge(
        &self,
        ctx: Ctx<'_>,
        device_id: &str,
        purpose: Option<Purpose>,
    ) -> Result<DeviceChallengeView, SolarisError> {
        let mut inner = self.lock();
        let device = inner
            .devices
            .get(device_id)
            .filter(|d| d.verified)
            .ok_or_else(|| SolarisError::validation("device_id", "device-id invalid"))?;
        // No purpose given: the pre-defined strategy picks the device's only
        // key, or its unrestricted one when it has both.
        let purpose = purpose.unwrap_or(match device.keys.as_slice() {
            [only] => only.purpose,
            _ => Purpose::Unrestricted,
        });
        if device.key(purpose).is_none() {
            return Err(SolarisError::validation(
                "key_purpose",
                format!("the device has no {} key", purpose.name()),
            ));
        }
        inner
            .device_challenges
            .make_room(ctx.cap, |c| c.done || c.expires_at <= ctx.now)
            .map_err(SolarisError::too_many)?;
        let challenge = DeviceChallenge {
            id: ctx.ids.uuid().to_string(),
            device_id: device_id.to_owned(),
            purpose,
            string_to_sign: ctx.ids.token(32),
            created_at: ctx.now,
            expires_at: ctx.expiry(),
            done: false,
        };
        let view = DeviceChallengeView {
            challenge: SignatureChallengeView {
                id: challenge.id.clone(),
                kind: "signature",
                created_at: stamp(&challenge.created_at),
                expires_at: stamp(&challenge.expires_at),
            },
            string_to_sign: challenge.string_to_sign.clone(),
        };
        inner
            .device_challenges
            .insert(challenge.id.clone(), challenge);
        Ok(view)
    }

    /// Verifies a device-signing challenge with the key of its purpose, once.
    pub(crate) fn verify_device_challenge(
        &self,
        now: DateTime<Utc>,
        id: &str,
        device_id: Option<&str>,
        signature: &str,
    ) -> Result<(), SolarisError> {
        let (key, text) = {
            let inner = self.lock();
            let challenge = inner
                .device_challenges
                .get(id)
                .ok_or_else(|| SolarisError::not_found("DeviceChallenge", id))?;
            if challenge.done {
                return Err(already_completed());
            }
            if now >= challenge.expires_at {
                return Err(expired());
            }
            if device_id.is_some_and(|d| d != challenge.device_id) {
                return Err(SolarisError::validation(
                    "device_id",
                    "the challenge belongs to another device",
                ));
            }
            let key = verified(&inner.devices, &challenge.device_id)?
                .key(challenge.purpose)
                .copied()
                .ok_or_else(|| SolarisError::not_found("Device", &challenge.device_id))?;
            (key, challenge.string_to_sign.clone())
        };
        crypto::verify(&key, text.as_bytes(), signature).map_err(signature_error)?;
        let mut inner = self.lock();
        let challenge = inner
            .device_challenges
            .get_mut(id)
            .filter(|c| !c.done)
            .ok_or_else(already_completed)?;
        challenge.done = true;
        Ok(())
    }
}
