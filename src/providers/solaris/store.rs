//! Solaris' state: OAuth tokens, persons with their mobile numbers, accounts
//! and trusted IBANs, SMS challenges, devices and change requests.
//!
//! Everything sits behind one lock per world. Signature checks, which cost a
//! few hundred microseconds, run outside it: a handler reads what it needs,
//! releases the lock, verifies, then takes the lock again and re-checks the
//! state before changing it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hyper::StatusCode;
use parking_lot::{Mutex, MutexGuard};
use serde_json::{json, Value};

use super::activation::ActivationChallenge;
use super::change_requests::ChangeRequest;
use super::config::Person as PersonFixture;
use super::device_challenges::DeviceChallenge;
use super::devices::{Device, SignatureChallenge, VirtualKeys};
use super::error::SolarisError;
use super::model::{MobileNumberView, PersonView, SmsChallengeView, TrustedIban};
use crate::ids::IdGen;
use crate::limits::Capped;
use crate::outbox::SmsDraft;
use crate::providers::Sections;
use crate::secret;

/// The world's context for Solaris's store.
pub(crate) type Ctx<'a> = crate::providers::Ctx<'a, super::Solaris>;

impl Ctx<'_> {
    pub(crate) fn expiry(&self) -> DateTime<Utc> {
        self.now + self.settings.challenge_ttl.as_delta()
    }
}

/// How long an expired challenge is remembered.
const KEEP_EXPIRED: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Solaris writes timestamps to the second: `2022-03-18T14:50:04Z`.
pub(crate) use crate::timefmt::seconds as stamp;

#[derive(Debug, Clone)]
pub(crate) struct MobileNumber {
    pub(crate) id: String,
    pub(crate) number: String,
    pub(crate) verified: bool,
    /// The code of a pending `authorize`, when it lapses, and wrong tries.
    pub(crate) pending: Option<(String, DateTime<Utc>, u32)>,
}

impl MobileNumber {
    pub(crate) fn view(&self) -> MobileNumberView {
        MobileNumberView {
            id: self.id.clone(),
            number: self.number.clone(),
            verified: self.verified,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) id: String,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) address: Option<Value>,
    pub(crate) mobile: Option<MobileNumber>,
    /// `None`: random codes; otherwise the fixed code of every SMS.
    pub(crate) fixed_otp: Option<String>,
    pub(crate) accounts: Vec<(String, String, i64)>,
    pub(crate) trusted_ibans: Vec<TrustedIban>,
    /// Devices bound to the person now, so the limit is one comparison.
    pub(crate) bound_devices: usize,
    /// The person's newest activation challenge: only it can be usable.
    pub(crate) activation: Option<String>,
}

impl Person {
    fn from_fixture(f: &PersonFixture, ids: &IdGen) -> Self {
        Self {
            id: f.id.value.clone(),
            first_name: f.first_name.clone(),
            last_name: f.last_name.clone(),
            address: None,
            mobile: f.mobile_number.as_ref().map(|number| MobileNumber {
                id: ids.hex(32),
                number: number.clone(),
                verified: true,
                pending: None,
            }),
            fixed_otp: (f.otp != "random").then(|| f.otp.clone()),
            accounts: f
                .accounts
                .iter()
                .map(|a| (a.id.clone(), a.iban.clone(), a.balance))
                .collect(),
            trusted_ibans: Vec::new(),
            bound_devices: 0,
            activation: None,
        }
    }

    pub(crate) fn view(&self) -> PersonView {
        PersonView {
            id: self.id.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            address: self.address.clone(),
            mobile_number: self.verified_mobile().map(str::to_owned),
        }
    }

    /// A one-time code for this person: fixed or fresh.
    pub(crate) fn otp(&self, ids: &IdGen) -> String {
        self.fixed_otp.clone().unwrap_or_else(|| ids.digits(6))
    }

    pub(crate) fn verified_mobile(&self) -> Option<&str> {
        self.mobile
            .as_ref()
            .filter(|m| m.verified)
            .map(|m| m.number.as_str())
    }
}

#[derive(Debug)]
pub(crate) struct SmsChallenge {
    pub(crate) id: String,
    pub(crate) person_id: String,
    pub(crate) code: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) verified: bool,
    /// Wrong codes so far; at [`MAX_WRONG_CODES`] the challenge is dead.
    pub(crate) wrong: u32,
}

/// Wrong codes a challenge or a pending mobile number takes before it is
/// dead: a six-digit code must not be guessable by trying.
pub(crate) const MAX_WRONG_CODES: u32 = 3;

/// A challenge that took too many wrong codes.
pub(crate) fn too_many_attempts() -> SolarisError {
    SolarisError::new(
        StatusCode::FORBIDDEN,
        "too_many_attempts",
        "Too Many Attempts",
        "Too many wrong codes: request a new challenge",
    )
}

impl SmsChallenge {
    fn view(&self) -> SmsChallengeView {
        SmsChallengeView {
            id: self.id.clone(),
            person_id: self.person_id.clone(),
            kind: "sms",
            status: if self.verified {
                "COMPLETED"
            } else {
                "PENDING"
            },
            created_at: stamp(&self.created_at),
            expires_at: stamp(&self.expires_at),
        }
    }
}

/// The state behind the lock.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    tokens: Capped<Box<str>, DateTime<Utc>>,
    pub(crate) persons: HashMap<String, Person>,
    sms: Capped<String, SmsChallenge>,
    pub(crate) devices: Capped<String, Device>,
    pub(crate) signature_challenges: Capped<String, SignatureChallenge>,
    pub(crate) device_challenges: Capped<String, DeviceChallenge>,
    pub(crate) change_requests: Capped<String, ChangeRequest>,
    pub(crate) virtual_keys: VirtualKeys,
    pub(crate) activations: Capped<String, ActivationChallenge>,
}

impl Inner {
    pub(crate) fn person(&self, id: &str) -> Result<&Person, SolarisError> {
        self.persons
            .get(id)
            .ok_or_else(|| SolarisError::not_found("Person", id))
    }

    pub(crate) fn person_mut(&mut self, id: &str) -> Result<&mut Person, SolarisError> {
        self.persons
            .get_mut(id)
            .ok_or_else(|| SolarisError::not_found("Person", id))
    }
}

#[derive(Debug)]
pub(crate) struct Store {
    clients: HashMap<String, String>,
    inner: Mutex<Inner>,
    pub(crate) subscriptions: super::subscriptions::Subscriptions,
}

impl Store {
    pub(crate) fn new(scenario: &Sections<'_>, ids: &IdGen) -> Self {
        let fixtures = &scenario.fixtures.solaris;
        let persons = fixtures
            .persons
            .iter()
            .map(|p| (p.id.value.clone(), Person::from_fixture(p, ids)))
            .collect();
        Self {
            clients: fixtures
                .clients
                .iter()
                .map(|c| (c.client_id.value.clone(), c.client_secret.clone()))
                .collect(),
            inner: Mutex::new(Inner {
                persons,
                ..Inner::default()
            }),
            subscriptions: super::subscriptions::Subscriptions::default(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    /// Client credentials for a Bearer token.
    pub(crate) fn issue_token(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        secret: &str,
    ) -> Result<String, SolarisError> {
        match self.clients.get(id) {
            Some(expected) if secret::eq(expected, secret) => {}
            _ => return Err(SolarisError::unauthorized("Invalid client credentials")),
        }
        let mut inner = self.lock();
        inner
            .tokens
            .make_room(ctx.cap, |expires| *expires <= ctx.now)
            .map_err(SolarisError::too_many)?;
        let token = ctx.ids.token(48);
        let expires = ctx.now + ctx.settings.token_ttl.as_delta();
        inner.tokens.insert(token.as_str().into(), expires);
        Ok(token)
    }

    pub(crate) fn check_token(
        &self,
        now: DateTime<Utc>,
        token: Option<&str>,
    ) -> Result<(), SolarisError> {
        let token =
            token.ok_or_else(|| SolarisError::unauthorized("A Bearer access token is required"))?;
        match self.lock().tokens.get(token) {
            Some(expires) if now < *expires => Ok(()),
            _ => Err(SolarisError::unauthorized(
                "The access token is invalid or expired",
            )),
        }
    }

    pub(crate) fn create_sms_challenge(
        &self,
        ctx: Ctx<'_>,
        person_id: &str,
    ) -> Result<(SmsChallengeView, SmsDraft), SolarisError> {
        let mut inner = self.lock();
        inner
            .sms
            .make_room(ctx.cap, |c| {
                c.verified || c.wrong >= MAX_WRONG_CODES || c.expires_at <= ctx.now
            })
            .map_err(SolarisError::too_many)?;
        let person = inner.person(person_id)?;
        let to = person
            .verified_mobile()
            .ok_or_else(|| SolarisError::validation("person_id", "telephone number not found"))?
            .to_owned();
        let challenge = SmsChallenge {
            id: ctx.ids.hex(32),
            person_id: person_id.to_owned(),
            code: person.otp(ctx.ids),
            created_at: ctx.now,
            expires_at: ctx.expiry(),
            verified: false,
            wrong: 0,
        };
        let sms = sms_draft(to, &challenge.code, "sms_challenge", &challenge.id);
        let view = challenge.view();
        inner.sms.insert(challenge.id.clone(), challenge);
        Ok((view, sms))
    }

    pub(crate) fn sms_challenge(&self, id: &str) -> Result<SmsChallengeView, SolarisError> {
        self.lock()
            .sms
            .get(id)
            .map(SmsChallenge::view)
            .ok_or_else(|| SolarisError::not_found("SmsChallenge", id))
    }

    /// A wrong, an expired and a reused code each get their own error.
    pub(crate) fn verify_sms_challenge(
        &self,
        now: DateTime<Utc>,
        id: &str,
        token: &str,
    ) -> Result<(), SolarisError> {
        let mut inner = self.lock();
        let challenge = inner
            .sms
            .get_mut(id)
            .ok_or_else(|| SolarisError::not_found("SmsChallenge", id))?;
        if challenge.verified {
            return Err(already_completed());
        }
        if now >= challenge.expires_at {
            return Err(expired());
        }
        if challenge.wrong >= MAX_WRONG_CODES {
            return Err(too_many_attempts());
        }
        if !secret::eq(&challenge.code, token) {
            challenge.wrong += 1;
            return Err(SolarisError::invalid_tan());
        }
        challenge.verified = true;
        Ok(())
    }

    pub(crate) fn stats(&self) -> Value {
        let inner = self.lock();
        json!({
            "tokens": inner.tokens.len(),
            "devices": inner.devices.len(),
            "change_requests": inner.change_requests.len(),
        })
    }

    /// Forgets expired tokens, and challenges an hour after they expired: until
    /// then a late answer is told the challenge expired rather than unknown.
    /// Forgets what lapsed long ago; returns the change requests that
    /// expired just now, for the timeline.
    pub(crate) fn sweep(&self, now: DateTime<Utc>) -> Vec<String> {
        let keep = now - KEEP_EXPIRED;
        let mut inner = self.lock();
        let mut expired: Vec<String> = inner
            .change_requests
            .iter_mut()
            .filter_map(|(id, c)| c.lapse(now).then(|| id.clone()))
            .collect();
        expired.sort();
        inner.tokens.retain(|_, expires| now < *expires);
        inner.sms.retain(|_, c| keep < c.expires_at);
        inner
            .signature_challenges
            .retain(|_, c| keep < c.expires_at);
        inner.device_challenges.retain(|_, c| keep < c.expires_at);
        inner.change_requests.retain(|_, c| !c.lapsed_before(keep));
        expired
    }
}

/// A challenge past its lifetime: Solaris answers 404 for those.
pub(crate) fn expired() -> SolarisError {
    SolarisError::new(
        StatusCode::NOT_FOUND,
        "challenge_expired",
        "Challenge Expired",
        "The challenge has expired",
    )
}

/// A challenge answered once already.
pub(crate) fn already_completed() -> SolarisError {
    SolarisError::conflict(
        "challenge_already_completed",
        "The challenge has already been completed",
    )
}

pub(crate) fn sms_draft(to: String, code: &str, purpose: &str, reference: &str) -> SmsDraft {
    SmsDraft {
        provider: "solaris",
        to,
        text: format!("Your Solaris code is {code}. Do not share it."),
        code: Some(code.to_owned()),
        purpose: purpose.to_owned(),
        reference: Some(reference.to_owned()),
    }
}
