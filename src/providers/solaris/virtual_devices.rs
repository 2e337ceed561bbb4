//! Virtual devices: devices whose private key the sandbox holds, so a team
//! without a phone can bind one and sign with it.

use super::devices::{Device, DeviceKey};
use super::error::SolarisError;
use super::model::Purpose;
use super::model::VirtualDeviceView;
use super::store::{Ctx, Store};
use crate::crypto;

impl Store {
    /// A bound virtual device of the person's with a restricted key.
    pub(crate) fn virtual_device_of(&self, person_id: &str) -> Option<String> {
        let inner = self.lock();
        let mut ids: Vec<&String> = inner
            .virtual_keys
            .iter()
            .filter(|(_, keys)| keys.iter().any(|(p, _)| *p == Purpose::Restricted))
            .map(|(id, _)| id)
            .filter(|id| {
                inner
                    .devices
                    .get(*id)
                    .is_some_and(|d| d.person_id == person_id)
            })
            .collect();
        ids.sort();
        ids.first().map(|id| (*id).clone())
    }

    /// A device whose private key the sandbox holds, bound at once.
    pub(crate) fn bind_virtual_device(
        &self,
        ctx: Ctx<'_>,
        person_id: &str,
        purpose: Purpose,
    ) -> Result<VirtualDeviceView, SolarisError> {
        let signing = crypto::generate(ctx.ids);
        let public = crypto::public_hex(&signing);
        let mut inner = self.lock();
        if inner.person(person_id)?.bound_devices >= ctx.settings.max_devices {
            return Err(super::error::device_limit(ctx.settings.max_devices));
        }
        inner.room_for_a_device(ctx)?;
        let device = Device {
            id: ctx.ids.uuid().to_string(),
            person_id: person_id.to_owned(),
            name: "Sandbox virtual device".to_owned(),
            verified: true,
            keys: vec![DeviceKey {
                id: ctx.ids.uuid().to_string(),
                purpose,
                key: *signing.verifying_key(),
            }],
            created_at: ctx.now,
        };
        let view = VirtualDeviceView {
            id: device.id.clone(),
            person_id: person_id.to_owned(),
            key_purpose: purpose.name(),
            key: public,
        };
        inner
            .virtual_keys
            .insert(device.id.clone(), vec![(purpose, signing)]);
        inner.devices.insert(device.id.clone(), device);
        inner.person_mut(person_id)?.bound_devices += 1;
        Ok(view)
    }

    /// Signs as the virtual device: hex DER ECDSA over SHA-256.
    pub(crate) fn sign_as_virtual_device(
        &self,
        id: &str,
        text: &str,
        purpose: Option<Purpose>,
    ) -> Result<String, super::SignRefusal> {
        use super::SignRefusal::{NoDevice, NoKey};
        let inner = self.lock();
        let keys = inner.virtual_keys.get(id).ok_or(NoDevice)?;
        let found = purpose.map_or(keys.first(), |p| keys.iter().find(|(kp, _)| *kp == p));
        let (_, key) = found.ok_or(NoKey)?;
        Ok(crypto::sign(key, text.as_bytes()))
    }
}
