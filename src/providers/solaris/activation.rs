//! Activation challenges: a code the partner delivers to the customer (by
//! post), which a new device then signs to bind itself
//! (`challenge_type: activation_code`) instead of an SMS code.

use chrono::{DateTime, Utc};
use hyper::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::SolarisError;
use super::store::{stamp, Ctx, Store};

/// `POST /v1/mfa/challenges/activation`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateActivation {
    pub(crate) person_id: String,
    #[serde(default)]
    pub(crate) origin: Option<String>,
    #[serde(default)]
    pub(crate) purpose: Option<String>,
    #[serde(default)]
    pub(crate) delivery_method: Option<String>,
    #[serde(default)]
    pub(crate) invalidate_existing_code: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct ActivationChallenge {
    pub(crate) id: String,
    pub(crate) person_id: String,
    pub(crate) code: String,
    created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    origin: String,
    delivery_method: String,
    pub(crate) usage_count: u32,
}

/// A code binds one device.
pub(crate) const MAX_USAGE: u32 = 1;

/// The reference's fields of an activation challenge.
#[derive(Debug, Serialize)]
pub(crate) struct ActivationView {
    id: String,
    person_id: String,
    code: String,
    created_at: String,
    expires_at: String,
    origin: String,
    purpose: &'static str,
    delivery_method: String,
    usage_count: u32,
    max_usage_count: u32,
}

impl ActivationChallenge {
    /// Whether the code can still bind a device at `now`.
    pub(crate) fn usable(&self, now: DateTime<Utc>) -> bool {
        self.usage_count < MAX_USAGE && now < self.expires_at
    }

    fn view(&self) -> ActivationView {
        ActivationView {
            id: self.id.clone(),
            person_id: self.person_id.clone(),
            code: self.code.clone(),
            created_at: stamp(&self.created_at),
            expires_at: stamp(&self.expires_at),
            origin: self.origin.clone(),
            purpose: "DEVICE_BINDING",
            delivery_method: self.delivery_method.clone(),
            usage_count: self.usage_count,
            max_usage_count: MAX_USAGE,
        }
    }
}

impl Store {
    /// A new code for a person. A usable code already there is a 409
    /// unless `invalidate_existing_code` (query or body) retires it.
    pub(crate) fn create_activation(
        &self,
        ctx: Ctx<'_>,
        body: CreateActivation,
        invalidate_in_query: bool,
    ) -> Result<ActivationView, SolarisError> {
        if body
            .purpose
            .as_deref()
            .is_some_and(|p| p != "DEVICE_BINDING")
        {
            return Err(SolarisError::validation(
                "purpose",
                "the only purpose is DEVICE_BINDING",
            ));
        }
        let delivery = body.delivery_method.as_deref().unwrap_or("SNAILMAIL");
        if delivery != "SNAILMAIL" {
            return Err(SolarisError::validation(
                "delivery_method",
                "the only delivery_method is SNAILMAIL",
            ));
        }
        let invalidate = invalidate_in_query || body.invalidate_existing_code == Some(true);
        let mut inner = self.lock();
        let now = ctx.now;
        let existing = inner.person(&body.person_id)?.activation.clone();
        if let Some(a) = existing.and_then(|id| inner.activations.get_mut(&id)) {
            if a.usable(now) {
                if !invalidate {
                    return Err(SolarisError::conflict(
                        "activation_code_exists",
                        "The person already has an activation code; pass invalidate_existing_code=true for a new one",
                    ));
                }
                a.expires_at = now;
            }
        }
        inner
            .activations
            .make_room(ctx.cap, |a| !a.usable(now))
            .map_err(SolarisError::too_many)?;
        let challenge = ActivationChallenge {
            id: ctx.ids.uuid().to_string(),
            person_id: body.person_id,
            code: ctx.ids.hex(12).to_ascii_uppercase(),
            created_at: now,
            expires_at: now + ctx.settings.activation_code_ttl.as_delta(),
            origin: body.origin.unwrap_or_else(|| "MOBILE_APP".to_owned()),
            delivery_method: delivery.to_owned(),
            usage_count: 0,
        };
        let view = challenge.view();
        inner.person_mut(&challenge.person_id)?.activation = Some(challenge.id.clone());
        inner.activations.insert(challenge.id.clone(), challenge);
        Ok(view)
    }

    pub(crate) fn activation(&self, id: &str) -> Result<ActivationView, SolarisError> {
        self.lock()
            .activations
            .get(id)
            .map(ActivationChallenge::view)
            .ok_or_else(|| SolarisError::not_found("ActivationChallenge", id))
    }

    /// Marks a code expired: it binds nothing any more.
    pub(crate) fn expire_activation(
        &self,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<(), SolarisError> {
        let mut inner = self.lock();
        let a = inner
            .activations
            .get_mut(id)
            .ok_or_else(|| SolarisError::not_found("ActivationChallenge", id))?;
        a.expires_at = a.expires_at.min(now);
        Ok(())
    }
}

/// The refusal of a binding by activation code when the person has none.
pub(crate) fn no_code() -> SolarisError {
    SolarisError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "activation_code_not_found",
        "Activation Code Not Found",
        "The person has no usable activation code; create an activation challenge first",
    )
}
