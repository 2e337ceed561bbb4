//! Device binding, device keys, device-signing challenges and the sandbox's
//! virtual devices.
//!
//! Binding: the device registers a public key, the person gets an SMS code, and
//! the device proves possession by signing SHA-256 of that code. Only a bound
//! (verified) device is listed or can sign challenges.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use p256::ecdsa::{SigningKey, VerifyingKey};

use super::model::{
    AddKey, Created, DeviceKeys, DeviceRegistered, DeviceView, KeyView, Purpose, Register,
    SignatureChallengeView,
};

use super::error::{device_limit, SolarisError};
use super::store::{already_completed, expired, sms_draft, stamp, Ctx, Inner, Store};
use crate::crypto::{self, CryptoError};
use crate::limits::Capped;
use crate::outbox::SmsDraft;

#[derive(Debug, Clone)]
pub(crate) struct DeviceKey {
    pub(crate) id: String,
    pub(crate) purpose: Purpose,
    pub(crate) key: VerifyingKey,
}

#[derive(Debug)]
pub(crate) struct Device {
    pub(crate) id: String,
    pub(crate) person_id: String,
    pub(crate) name: String,
    pub(crate) verified: bool,
    pub(crate) keys: Vec<DeviceKey>,
    pub(crate) created_at: DateTime<Utc>,
}

impl Device {
    fn view(&self) -> DeviceView {
        DeviceView {
            id: self.id.clone(),
            person_id: self.person_id.clone(),
            name: self.name.clone(),
            created_at: stamp(&self.created_at),
        }
    }

    pub(crate) fn key(&self, purpose: Purpose) -> Option<&VerifyingKey> {
        self.keys
            .iter()
            .find(|k| k.purpose == purpose)
            .map(|k| &k.key)
    }
}

#[derive(Debug)]
pub(crate) struct SignatureChallenge {
    pub(crate) id: String,
    device_id: String,
    otp: String,
    created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    done: bool,
    /// The activation challenge whose code this binding signs, if any.
    activation: Option<String>,
}

/// Private keys of the sandbox's virtual devices.
pub(crate) type VirtualKeys = HashMap<String, Vec<(Purpose, SigningKey)>>;

pub(crate) fn purpose(field: &str, value: Option<&str>) -> Result<Purpose, SolarisError> {
    match value {
        None | Some("") | Some("unrestricted") => Ok(Purpose::Unrestricted),
        Some("restricted") => Ok(Purpose::Restricted),
        Some(other) => Err(SolarisError::validation(
            field,
            format!("`{other}` is not restricted or unrestricted"),
        )),
    }
}

fn check_key(key: &str, key_type: &str) -> Result<VerifyingKey, SolarisError> {
    if key_type != "ecdsa-p256" {
        return Err(SolarisError::validation(
            "key_type",
            "key_type must be ecdsa-p256",
        ));
    }
    crypto::parse_key(key)
        .map_err(|e| SolarisError::validation("key", format!("key {}", e.describe())))
}

/// Maps a verification failure: a malformed signature is the client's
/// encoding error (400); a well-formed one that does not verify is refused (403).
pub(crate) fn signature_error(e: CryptoError) -> SolarisError {
    match e {
        CryptoError::Mismatch => {
            SolarisError::invalid_signature("The signature does not verify with the device's key")
        }
        other => SolarisError::validation("signature", format!("signature {}", other.describe())),
    }
}

impl Inner {
    /// Room for one more device: at the cap, devices whose binding was never
    /// completed and whose challenge has expired go. Bound devices stay.
    pub(super) fn room_for_a_device(&mut self, ctx: Ctx<'_>) -> Result<(), SolarisError> {
        let lapsed = ctx.now - ctx.settings.challenge_ttl.as_delta();
        self.devices
            .make_room(ctx.cap, |d| !d.verified && d.created_at <= lapsed)
            .map(drop)
            .map_err(SolarisError::too_many)
    }
}

impl Store {
    /// Registers an unverified device. The code it signs comes by SMS, or is
    /// the person's activation code (`challenge_type: activation_code`), in
    /// which case no SMS is sent.
    pub(crate) fn register_device(
        &self,
        ctx: Ctx<'_>,
        req: Register,
    ) -> Result<(DeviceRegistered, Option<SmsDraft>), SolarisError> {
        let key = check_key(&req.key, &req.key_type)?;
        let purpose = purpose("key_purpose", req.key_purpose.as_deref())?;
        if req.name.trim().is_empty() {
            return Err(SolarisError::validation("name", "name must not be blank"));
        }
        let by_activation = match req.challenge_type.as_deref() {
            None | Some("sms") => false,
            Some("activation_code") => true,
            Some(other) => {
                return Err(SolarisError::validation(
                    "challenge_type",
                    format!("`{other}` is not sms or activation_code"),
                ))
            }
        };
        let mut inner = self.lock();
        let person = inner.person(&req.person_id)?;
        let (otp, to, activation) = if by_activation {
            let code = person
                .activation
                .as_ref()
                .and_then(|id| inner.activations.get(id))
                .filter(|a| a.usable(ctx.now))
                .ok_or_else(super::activation::no_code)?;
            (code.code.clone(), None, Some(code.id.clone()))
        } else {
            let to = person
                .verified_mobile()
                .ok_or_else(|| SolarisError::validation("person_id", "telephone number not found"))?
                .to_owned();
            (person.otp(ctx.ids), Some(to), None)
        };
        if person.bound_devices >= ctx.settings.max_devices {
            return Err(device_limit(ctx.settings.max_devices));
        }
        inner.room_for_a_device(ctx)?;
        inner
            .signature_challenges
            .make_room(ctx.cap, |c| c.done || c.expires_at <= ctx.now)
            .map_err(SolarisError::too_many)?;
        let device = Device {
            id: ctx.ids.uuid().to_string(),
            person_id: req.person_id,
            name: req.name,
            verified: false,
            keys: vec![DeviceKey {
                id: ctx.ids.uuid().to_string(),
                purpose,
                key,
            }],
            created_at: ctx.now,
        };
        let challenge = SignatureChallenge {
            id: ctx.ids.uuid().to_string(),
            device_id: device.id.clone(),
            otp,
            created_at: ctx.now,
            expires_at: ctx.expiry(),
            done: false,
            activation,
        };
        let sms = to.map(|to| sms_draft(to, &challenge.otp, "device_binding", &device.id));
        let view = DeviceRegistered {
            id: device.id.clone(),
            challenge: signature_challenge_view(&challenge),
        };
        inner.devices.insert(device.id.clone(), device);
        inner
            .signature_challenges
            .insert(challenge.id.clone(), challenge);
        Ok((view, sms))
    }

    pub(crate) fn signature_challenge(
        &self,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<SignatureChallengeView, SolarisError> {
        let inner = self.lock();
        let challenge = inner
            .signature_challenges
            .get(id)
            .ok_or_else(|| SolarisError::not_found("SignatureChallenge", id))?;
        if now >= challenge.expires_at {
            return Err(expired());
        }
        Ok(signature_challenge_view(challenge))
    }

    /// Verifies the device's signature over SHA-256 of the SMS code, and binds it.
    pub(crate) fn verify_binding(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        signature: &str,
    ) -> Result<String, SolarisError> {
        let now = ctx.now;
        let (key, otp) = {
            let inner = self.lock();
            let challenge = live(inner.signature_challenges.get(id), now, id)?;
            let device = inner
                .devices
                .get(&challenge.device_id)
                .ok_or_else(|| SolarisError::not_found("Device", &challenge.device_id))?;
            (device.keys[0].key, challenge.otp.clone())
        };
        crypto::verify(&key, otp.as_bytes(), signature).map_err(signature_error)?;
        // Everything the binding claims is checked and taken under one
        // lock, so concurrent bindings cannot share a code or pass the
        // person's device limit together.
        let mut guard = self.lock();
        let inner = &mut *guard;
        let challenge = inner
            .signature_challenges
            .get_mut(id)
            .filter(|c| !c.done)
            .ok_or_else(already_completed)?;
        let device = inner
            .devices
            .get_mut(&challenge.device_id)
            .ok_or_else(|| SolarisError::not_found("Device", &challenge.device_id))?;
        let person = inner
            .persons
            .get_mut(&device.person_id)
            .ok_or_else(|| SolarisError::not_found("Person", &device.person_id))?;
        if person.bound_devices >= ctx.settings.max_devices {
            return Err(device_limit(ctx.settings.max_devices));
        }
        // The activation code is used up by the binding it verified: one
        // binding, however many devices were registered with it.
        if let Some(code) = &challenge.activation {
            let code = inner
                .activations
                .get_mut(code)
                .filter(|a| a.usable(now))
                .ok_or_else(super::activation::no_code)?;
            code.usage_count += 1;
        }
        challenge.done = true;
        device.verified = true;
        person.bound_devices += 1;
        Ok(device.id.clone())
    }

    pub(crate) fn list_devices(&self, person_id: &str) -> Vec<DeviceView> {
        let inner = self.lock();
        let mut devices: Vec<&Device> = inner
            .devices
            .values()
            .filter(|d| d.person_id == person_id && d.verified)
            .collect();
        devices.sort_by_key(|d| d.created_at);
        devices.into_iter().map(Device::view).collect()
    }

    pub(crate) fn device(&self, id: &str) -> Result<DeviceView, SolarisError> {
        let inner = self.lock();
        verified(&inner.devices, id).map(Device::view)
    }

    pub(crate) fn delete_device(&self, id: &str) -> Result<(), SolarisError> {
        let mut inner = self.lock();
        let device = inner
            .devices
            .remove(id)
            .ok_or_else(|| SolarisError::not_found("Device", id))?;
        inner.virtual_keys.remove(id);
        if device.verified {
            if let Some(person) = inner.persons.get_mut(&device.person_id) {
                person.bound_devices = person.bound_devices.saturating_sub(1);
            }
        }
        Ok(())
    }

    pub(crate) fn device_keys(&self, id: &str) -> Result<[DeviceKeys; 1], SolarisError> {
        let inner = self.lock();
        let device = verified(&inner.devices, id)?;
        let keys = device
            .keys
            .iter()
            .map(|k| KeyView {
                key_id: k.id.clone(),
                key_purpose: k.purpose.name(),
            })
            .collect();
        Ok([DeviceKeys {
            person_id: device.person_id.clone(),
            device_id: device.id.clone(),
            name: device.name.clone(),
            keys,
        }])
    }

    /// Adds a key, signed (over the new key's hex) by an existing key of the device.
    pub(crate) fn add_device_key(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        req: AddKey,
    ) -> Result<Created, SolarisError> {
        let new_key = check_key(&req.key, &req.key_type)?;
        let new_purpose = purpose("key_purpose", Some(&req.key_purpose))?;
        let signer = purpose(
            "device_signature.signature_key_purpose",
            Some(&req.device_signature.signature_key_purpose),
        )?;
        let existing = {
            let inner = self.lock();
            *verified(&inner.devices, id)?.key(signer).ok_or_else(|| {
                SolarisError::validation(
                    "device_signature.signature_key_purpose",
                    "the device has no key of that purpose",
                )
            })?
        };
        crypto::verify(
            &existing,
            req.key.as_bytes(),
            &req.device_signature.signature,
        )
        .map_err(signature_error)?;
        let key_id = ctx.ids.uuid().to_string();
        let mut inner = self.lock();
        let device = inner
            .devices
            .get_mut(id)
            .ok_or_else(|| SolarisError::not_found("Device", id))?;
        device.keys.retain(|k| k.purpose != new_purpose);
        device.keys.push(DeviceKey {
            id: key_id.clone(),
            purpose: new_purpose,
            key: new_key,
        });
        Ok(Created { id: key_id })
    }
}

fn signature_challenge_view(c: &SignatureChallenge) -> SignatureChallengeView {
    SignatureChallengeView {
        id: c.id.clone(),
        kind: "signature",
        created_at: stamp(&c.created_at),
        expires_at: stamp(&c.expires_at),
    }
}

fn live<'a>(
    c: Option<&'a SignatureChallenge>,
    now: DateTime<Utc>,
    id: &str,
) -> Result<&'a SignatureChallenge, SolarisError> {
    let c = c.ok_or_else(|| SolarisError::not_found("SignatureChallenge", id))?;
    if c.done {
        return Err(already_completed());
    }
    if now >= c.expires_at {
        return Err(expired());
    }
    Ok(c)
}

pub(crate) fn verified<'a>(
    devices: &'a Capped<String, Device>,
    id: &str,
) -> Result<&'a Device, SolarisError> {
    devices
        .get(id)
        .filter(|d| d.verified)
        .ok_or_else(|| SolarisError::not_found("Device", id))
}
