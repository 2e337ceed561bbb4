//! Thredd's state: oAuth tokens and 3DS biometric sessions.
//!
//! A session starts when the sandbox (playing Thredd) sends NotifyInitiateAction
//! and ends with the PM's NotifyValidate, or as TIMEOUT once the validation
//! timeout passes on the sandbox clock. STEPUP hands over to the card's OTP SMS
//! fallback, when it has one.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::config::Card;
use super::model::{DeliveryView, Refusal, SessionView};
pub(super) use super::tokens::Token;
use crate::ids::IdGen;
use crate::limits::{Capped, Full};
use crate::outbox::SmsDraft;
use crate::providers::Sections;
use crate::secret;

/// NotifyValidate's `Status` values.
pub(crate) const STATUSES: &[&str] = &["SUCCESS", "STEPUP", "FAILURE", "FAILWITHFEEDBACK", "ERROR"];

/// The world's context for Thredd's store.
pub(crate) type Ctx<'a> = crate::providers::Ctx<'a, super::Thredd>;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    AwaitingValidation,
    AwaitingOtp,
    Authenticated,
    FailWithFeedback,
}

impl State {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::AwaitingValidation => "AWAITING_VALIDATION",
            Self::AwaitingOtp => "AWAITING_OTP",
            Self::Authenticated => "AUTHENTICATED",
            Self::FailWithFeedback => "FAIL_WITH_FEEDBACK",
        }
    }
}

/// What happened to NotifyInitiateAction. Thredd never resends it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Delivery {
    pub(crate) url: Option<String>,
    pub(crate) state: &'static str,
    pub(crate) status: Option<u16>,
    pub(crate) latency_ms: Option<f64>,
    pub(crate) error: Option<String>,
    pub(crate) sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    pubtoken: u64,
    state: State,
    /// The PM's `Status`, or `TIMEOUT`.
    outcome: Option<&'static str>,
    pm_reference: Option<String>,
    created_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    otp: Option<(String, u32)>,
    /// When the scenario's simulated PM calls NotifyValidate, and with what.
    pm_plan: Option<(DateTime<Utc>, &'static str)>,
    pub(crate) delivery: Delivery,
    pub(crate) request: Value,
}

impl Session {
    fn view(&self) -> SessionView {
        let millis = crate::timefmt::millis;
        SessionView {
            id: self.id.clone(),
            pubtoken: self.pubtoken,
            state: self.state.name(),
            outcome: self.outcome,
            pm_reference_id: self.pm_reference.clone(),
            created_at: millis(&self.created_at),
            validation_deadline: millis(&self.deadline),
            delivery: DeliveryView {
                url: self.delivery.url.clone(),
                state: self.delivery.state,
                status: self.delivery.status,
                latency_ms: self.delivery.latency_ms,
                error: self.delivery.error.clone(),
                sent_at: self.delivery.sent_at.map(|t| millis(&t)),
            },
            notify_initiate_action: self.request.clone(),
        }
    }

    /// The validation timeout, once passed, ends the session as TIMEOUT.
    fn settle(&mut self, now: DateTime<Utc>) -> bool {
        if self.state == State::AwaitingValidation && now >= self.deadline {
            self.state = State::FailWithFeedback;
            self.outcome = Some("TIMEOUT");
            return true;
        }
        false
    }
}

/// What NotifyValidate changed, for the timeline and the outbox.
#[derive(Debug)]
pub(crate) struct Validated {
    pub(crate) status: &'static str,
    pub(crate) sms: Option<SmsDraft>,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    pub(super) tokens: Capped<Box<str>, Token>,
    sessions: Capped<String, Session>,
}

#[path = "missed.rs"]
mod missed;
pub(crate) use missed::{fall_back, Missed};

#[derive(Debug)]
pub(crate) struct Store {
    pub(super) clients: HashMap<String, (String, String)>,
    cards: HashMap<u64, Card>,
    /// Made on the first token, not with the world: deriving a key builds the
    /// curve's tables, which costs milliseconds and megabytes at start-up.
    pub(super) key: OnceLock<super::jwt::Issuer>,
    /// `settings.thredd.signing_alg`.
    pub(super) alg: super::jwt::Alg,
    /// Seeds the key, so a seeded scenario signs the same way every run.
    pub(super) key_seed: u64,
    pub(super) kid: String,
    pub(super) inner: Mutex<Inner>,
}

impl Store {
    pub(crate) fn new(scenario: &Sections<'_>, ids: &IdGen) -> Self {
        let f = &scenario.fixtures.thredd;
        Self {
            clients: f
                .clients
                .iter()
                .map(|c| {
                    (
                        c.client_id.value.clone(),
                        (c.client_secret.clone(), c.role.value.clone()),
                    )
                })
                .collect(),
            cards: f
                .cards
                .iter()
                .map(|c| (c.pubtoken.value, c.clone()))
                .collect(),
            key: OnceLock::new(),
            alg: scenario.settings.thredd.signing_alg,
            key_seed: ids.next_u64(),
            kid: ids.hex(40).to_uppercase(),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub(crate) fn card(&self, pubtoken: u64) -> Option<&Card> {
        self.cards.get(&pubtoken)
    }

    pub(crate) fn open(
        &self,
        ctx: Ctx<'_>,
        id: String,
        pubtoken: u64,
        timeout: TimeDelta,
        request: Value,
        url: Option<String>,
    ) -> Result<SessionView, Full> {
        let mut inner = self.inner.lock();
        // Decided sessions, and those past their validation timeout, go
        // first; the sweeper would forget them an hour later anyway.
        inner.sessions.make_room(ctx.cap, |s| {
            s.state != State::AwaitingValidation && s.state != State::AwaitingOtp
                || s.deadline <= ctx.now
        })?;
        let session = Session {
            id: id.clone(),
            pubtoken,
            state: State::AwaitingValidation,
            outcome: None,
            pm_reference: None,
            created_at: ctx.now,
            deadline: ctx.now + timeout,
            otp: None,
            pm_plan: None,
            delivery: Delivery {
                url,
                state: "pending",
                ..Delivery::default()
            },
            request,
        };
        let view = session.view();
        inner.sessions.insert(id, session);
        Ok(view)
    }

    /// Schedules the simulated PM's NotifyValidate.
    pub(crate) fn plan_pm(&self, id: &str, due: DateTime<Utc>, status: &'static str) {
        if let Some(session) = self.inner.lock().sessions.get_mut(id) {
            session.pm_plan = Some((due, status));
        }
    }

    /// The simulated PM calls that have come due: (when, id, pubtoken, status).
    pub(crate) fn due_pm_calls(
        &self,
        now: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, String, u64, &'static str)> {
        let mut inner = self.inner.lock();
        let mut due: Vec<_> = inner
            .sessions
            .values_mut()
            .filter(|s| s.pm_plan.is_some_and(|(at, _)| at <= now))
            .filter_map(|s| {
                let (at, status) = s.pm_plan.take()?;
                Some((at, s.id.clone(), s.pubtoken, status))
            })
            .collect();
        due.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        due
    }

    pub(crate) fn deadline(&self, id: &str) -> Option<DateTime<Utc>> {
        self.inner.lock().sessions.get(id).map(|s| s.deadline)
    }

    pub(crate) fn record_delivery(&self, id: &str, delivery: Delivery) {
        if let Some(session) = self.inner.lock().sessions.get_mut(id) {
            session.delivery = Delivery {
                url: session.delivery.url.clone(),
                ..delivery
            };
        }
    }

    pub(crate) fn session(&self, now: DateTime<Utc>, id: &str) -> Option<(SessionView, bool)> {
        let mut inner = self.inner.lock();
        let session = inner.sessions.get_mut(id)?;
        let timed_out = session.settle(now);
        Some((session.view(), timed_out))
    }

    /// Applies NotifyValidate after its fields were checked: the session must
    /// be live, for this card, and not answered yet.
    pub(crate) fn validate(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        pubtoken: u64,
        status: &'static str,
        pm_reference: &str,
    ) -> Result<Validated, Refusal> {
        let mut inner = self.inner.lock();
        let refuse = |description, message: &str| Refusal {
            reference: ctx.ids.hex(12).to_uppercase(),
            description,
            message: message.to_owned(),
        };
        let Some(session) = inner
            .sessions
            .get_mut(id)
            .filter(|s| s.pubtoken == pubtoken)
        else {
            return Err(refuse(
                "Invalid GPSInitiateActionID",
                "No authentication session with this GPSInitiateActionID and Pubtoken",
            ));
        };
        session.settle(ctx.now);
        if session.outcome == Some("TIMEOUT") {
            return Err(refuse(
                "Session timed out",
                "The validation timeout passed before NotifyValidate arrived",
            ));
        }
        if session.state != State::AwaitingValidation {
            return Err(refuse(
                "Duplicate NotifyValidate",
                "This session has already been validated",
            ));
        }
        session.outcome = Some(status);
        session.pm_reference = Some(pm_reference.to_owned());
        let sms = match status {
            "SUCCESS" => {
                session.state = State::Authenticated;
                None
            }
            "STEPUP" => fall_back(session, self.cards.get(&pubtoken), ctx.ids),
            _ => {
                session.state = State::FailWithFeedback;
                None
            }
        };
        Ok(Validated { status, sms })
    }

    /// The cardholder types the fallback OTP: three tries. Every wrong code
    /// is refused; the third also fails the authentication
    /// (`otp_attempts_exhausted`).
    pub(crate) fn enter_otp(&self, id: &str, code: &str) -> Result<SessionView, &'static str> {
        let mut inner = self.inner.lock();
        let session = inner.sessions.get_mut(id).ok_or("not_found")?;
        if session.state != State::AwaitingOtp {
            return Err("not_awaiting_otp");
        }
        let Some((expected, tries)) = session.otp.as_mut() else {
            return Err("not_awaiting_otp");
        };
        if secret::eq(expected, code) {
            session.state = State::Authenticated;
            session.otp = None;
        } else {
            *tries += 1;
            if *tries < 3 {
                return Err("invalid_otp");
            }
            session.state = State::FailWithFeedback;
            session.otp = None;
            return Err("otp_attempts_exhausted");
        }
        Ok(session.view())
    }

    /// Times out sessions whose deadline passed; their ids, for the timeline.
    pub(crate) fn sweep(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut inner = self.inner.lock();
        inner.tokens.retain(|_, t| now < t.exp);
        inner
            .sessions
            .retain(|_, s| now < s.deadline + TimeDelta::hours(1));
        inner
            .sessions
            .values_mut()
            .filter_map(|s| s.settle(now).then(|| s.id.clone()))
            .collect()
    }

    /// Sessions waiting for the PM or the cardholder, oldest first.
    pub(crate) fn open_sessions(&self, now: DateTime<Utc>) -> Vec<SessionView> {
        let mut inner = self.inner.lock();
        let mut open: Vec<&mut Session> = inner
            .sessions
            .values_mut()
            .filter(|s| matches!(s.state, State::AwaitingValidation | State::AwaitingOtp))
            .collect();
        open.retain_mut(|s| {
            s.settle(now);
            s.state != State::FailWithFeedback
        });
        open.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        open.iter().map(|s| s.view()).collect()
    }

    pub(crate) fn stats(&self) -> Value {
        let inner = self.inner.lock();
        json!({ "tokens": inner.tokens.len(), "sessions": inner.sessions.len() })
    }
}
