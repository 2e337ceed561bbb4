//! Weavr's state: users' logins and factors, auth tokens with their step-up,
//! and payment runs.
//!
//! A token's step-up is modelled the way PSD2's dynamic linking reads the guide's
//! caution: a step-up is good for everything until it authorises a transaction
//! (confirming a payment run); from then on it does not count for account
//! information, which needs a fresh step-up.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hyper::StatusCode;
use parking_lot::Mutex;
use serde_json::Value;

use super::challenge::Challenge;
use super::config::User;
use super::error::WeavrError;
use super::routes::Profile;
use crate::limits::make_room;
use crate::ids::IdGen;
use crate::scenario::Scenario;
use crate::secret;
use crate::state::SmsDraft;

/// The world's context for Weavr's store.
pub(crate) type Ctx<'a> = crate::providers::Ctx<'a, super::Weavr>;

/// How far a token is stepped up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepUp {
    Standard,
    SteppedUp,
    /// Stepped up, then used to authorise a transaction.
    SpentOnTransaction,
}

#[derive(Debug)]
struct Token {
    user: usize,
    profile: Profile,
    last_active: DateTime<Utc>,
    step_up: StepUp,
    challenge: Option<Challenge>,
    /// Re-issues of the current step-up challenge.
    reissues: u32,
    /// Set by a refused extra retry: only a new login issues challenges again.
    exhausted: bool,
}

#[derive(Debug, Default)]
struct Account {
    enrolled: bool,
    enrolment: Option<Challenge>,
    failed_logins: u32,
    locked_until: Option<DateTime<Utc>>,
}

/// A payment run, with the challenge that authorises it.
#[derive(Debug)]
pub(crate) struct PaymentRun {
    pub(crate) id: String,
    pub(crate) owner: usize,
    pub(crate) status: &'static str,
    pub(crate) request: Value,
    pub(crate) created_at: DateTime<Utc>,
    sca: Option<Challenge>,
}

#[derive(Debug, Default)]
struct Inner {
    accounts: Vec<Account>,
    tokens: HashMap<Box<str>, Token>,
    runs: HashMap<String, PaymentRun>,
}

/// An authenticated request: the token and its user.
#[derive(Debug)]
pub(crate) struct Session<'a> {
    pub(crate) user: &'a User,
    pub(crate) user_index: usize,
    pub(crate) step_up: StepUp,
}

#[derive(Debug)]
pub(crate) struct Store {
    api_keys: HashSet<String>,
    users: Vec<User>,
    inner: Mutex<Inner>,
}

impl Store {
    /// `ids` is unused: nothing in this store's fixtures is generated.
    pub(crate) fn new(scenario: &Scenario, _ids: &IdGen) -> Self {
        let fixtures = &scenario.fixtures.weavr;
        let accounts = fixtures
            .users
            .iter()
            .map(|u| Account {
                enrolled: u.sms_enrolled,
                ..Account::default()
            })
            .collect();
        Self {
            api_keys: fixtures.api_keys.iter().map(|k| k.value.clone()).collect(),
            users: fixtures.users.clone(),
            inner: Mutex::new(Inner {
                accounts,
                ..Inner::default()
            }),
        }
    }

    pub(crate) fn api_key_ok(&self, key: &str) -> bool {
        self.api_keys.iter().any(|k| secret::eq(k, key))
    }

    pub(crate) fn user(&self, index: usize) -> &User {
        &self.users[index]
    }

    /// Logs in: a token on success, 403 for a wrong password, 423 once locked.
    pub(crate) fn login(
        &self,
        ctx: Ctx<'_>,
        profile: Profile,
        email: &str,
        password: &str,
    ) -> Result<(String, usize), WeavrError> {
        let forbidden = || {
            WeavrError::code(
                StatusCode::FORBIDDEN,
                "INVALID_CREDENTIALS",
                "Invalid email or password",
            )
        };
        let Some(index) = self
            .users
            .iter()
            .position(|u| u.email.value.eq_ignore_ascii_case(email))
        else {
            return Err(forbidden());
        };
        let mut inner = self.inner.lock();
        let account = &mut inner.accounts[index];
        if account.locked_until.is_some_and(|until| ctx.now < until) {
            return Err(locked());
        }
        if !secret::eq(&self.users[index].password, password) {
            account.failed_logins += 1;
            if account.failed_logins >= ctx.settings.max_login_attempts {
                account.failed_logins = 0;
                account.locked_until = Some(ctx.now + ctx.settings.lockout.as_delta());
                return Err(locked());
            }
            return Err(forbidden());
        }
        account.failed_logins = 0;
        account.locked_until = None;
        let idle = ctx.settings.token_idle_timeout.as_delta();
        make_room(&mut inner.tokens, ctx.cap, |t| {
            t.last_active + idle <= ctx.now
        })
        .map_err(WeavrError::too_many)?;
        let token = format!("wvr_{}", ctx.ids.token(48));
        inner.tokens.insert(
            token.as_str().into(),
            Token {
                user: index,
                profile,
                last_active: ctx.now,
                step_up: StepUp::Standard,
                challenge: None,
                reissues: 0,
                exhausted: false,
            },
        );
        Ok((token, index))
    }

    pub(crate) fn logout(&self, token: &str) {
        self.inner.lock().tokens.remove(token);
    }

    /// Checks a token for `profile` and counts this request as activity. A
    /// token idle for longer than the timeout is gone.
    pub(crate) fn session<R>(
        &self,
        ctx: Ctx<'_>,
        token: Option<&str>,
        profile: Profile,
        f: impl FnOnce(&mut SessionMut<'_>) -> Result<R, WeavrError>,
    ) -> Result<R, WeavrError> {
        let token =
            token.ok_or_else(|| WeavrError::unauthorized("A Bearer auth token is required"))?;
        let mut inner = self.inner.lock();
        let idle = ctx.settings.token_idle_timeout.as_delta();
        let alive = match inner.tokens.get_mut(token) {
            Some(t) if t.profile == profile && ctx.now < t.last_active + idle => {
                t.last_active = ctx.now;
                true
            }
            Some(t) if t.profile == profile => false,
            _ => return Err(WeavrError::unauthorized("Unknown or expired auth token")),
        };
        if !alive {
            inner.tokens.remove(token);
            return Err(WeavrError::unauthorized("Unknown or expired auth token"));
        }
        let Inner {
            accounts,
            tokens,
            runs,
        } = &mut *inner;
        let token = tokens
            .get_mut(token)
            .ok_or_else(|| WeavrError::unauthorized(""))?;
        let user = token.user;
        let mut session = SessionMut {
            ctx,
            user: &self.users[user],
            user_index: user,
            token,
            account: &mut accounts[user],
            runs,
        };
        f(&mut session)
    }

    /// Forgets tokens idle past the timeout and lifts expired lockouts.
    pub(crate) fn sweep(&self, ctx: Ctx<'_>) {
        let idle = ctx.settings.token_idle_timeout.as_delta();
        let mut inner = self.inner.lock();
        inner.tokens.retain(|_, t| ctx.now < t.last_active + idle);
    }

    pub(crate) fn stats(&self) -> Value {
        let inner = self.inner.lock();
        serde_json::json!({ "tokens": inner.tokens.len(), "payment_runs": inner.runs.len() })
    }
}

fn locked() -> WeavrError {
    WeavrError::default(
        StatusCode::LOCKED,
        "LOCKED",
        "Too many failed attempts: the login is locked for 30 minutes",
    )
}

/// The mutable view of one authenticated request.
#[derive(Debug)]
pub(crate) struct SessionMut<'a> {
    ctx: Ctx<'a>,
    pub(crate) user: &'a User,
    pub(crate) user_index: usize,
    token: &'a mut Token,
    account: &'a mut Account,
    runs: &'a mut HashMap<String, PaymentRun>,
}

impl SessionMut<'_> {
    pub(crate) fn view(&self) -> Session<'_> {
        Session {
            user: self.user,
            user_index: self.user_index,
            step_up: self.token.step_up,
        }
    }

    pub(crate) fn enrolled(&self) -> bool {
        self.account.enrolled
    }

    /// Starts enrolling the SMS factor; the SMS to send.
    pub(crate) fn enrol(&mut self) -> Result<SmsDraft, WeavrError> {
        if self.account.enrolled {
            return Err(WeavrError::conflict("CHANNEL_ALREADY_REGISTERED"));
        }
        let mobile = self
            .user
            .mobile
            .clone()
            .ok_or_else(|| WeavrError::conflict("MOBILE_NUMBER_NOT_AVAILABLE"))?;
        let c = self.ctx;
        let challenge = Challenge::issue(c.settings, c.ids, c.now, self.account.enrolment.as_ref());
        let sms = sms(mobile, &challenge, "enrolment");
        self.account.enrolment = Some(challenge);
        Ok(sms)
    }

    pub(crate) fn verify_enrolment(&mut self, code: &str) -> Result<(), WeavrError> {
        if self.account.enrolled {
            return Err(WeavrError::conflict("CHANNEL_ALREADY_REGISTERED"));
        }
        let c = self.ctx;
        let challenge = self
            .account
            .enrolment
            .as_mut()
            .ok_or_else(|| WeavrError::conflict("STATE_INVALID"))?;
        challenge.verify(c.settings, c.now, code)?;
        self.account.enrolled = true;
        self.account.enrolment = None;
        Ok(())
    }

    /// Issues or re-issues the step-up challenge: one retry, 15 s or more
    /// after the previous SMS; the retry's code replaces the first.
    pub(crate) fn issue_step_up(&mut self, profile: Profile) -> Result<SmsDraft, WeavrError> {
        if !self.account.enrolled {
            return Err(WeavrError::conflict("CHANNEL_NOT_REGISTERED"));
        }
        let c = self.ctx;
        let too_many = || {
            match profile {
            // The provider's guide's answer for the second retry.
            Profile::PaymentRun => WeavrError::code(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "Only one retry is allowed: log out and log in again to issue a new step-up challenge",
            ),
            Profile::Multi => WeavrError::conflict("CHALLENGE_LIMIT_EXCEEDED"),
        }
        };
        if self.token.exhausted {
            return Err(too_many());
        }
        if let Some(current) = &self.token.challenge {
            if current.too_early(c.settings, c.now) {
                return Err(WeavrError::conflict("RETRY_IN_15SEC"));
            }
            if self.token.reissues >= c.settings.max_retries {
                self.token.exhausted = true;
                self.token.challenge = None;
                return Err(too_many());
            }
            self.token.reissues += 1;
        }
        let mobile = self.mobile()?;
        let challenge = Challenge::issue(c.settings, c.ids, c.now, self.token.challenge.as_ref());
        let sms = sms(mobile, &challenge, "stepup");
        self.token.challenge = Some(challenge);
        Ok(sms)
    }

    /// Verifies the step-up code; a wrong one leaves the token valid and
    /// not stepped up.
    pub(crate) fn verify_step_up(
        &mut self,
        profile: Profile,
        code: &str,
    ) -> Result<(), WeavrError> {
        if !self.account.enrolled {
            return Err(WeavrError::conflict("CHANNEL_NOT_REGISTERED"));
        }
        let c = self.ctx;
        let Some(challenge) = self.token.challenge.as_mut() else {
            return Err(WeavrError::conflict(
                if profile == Profile::Multi && self.token.step_up == StepUp::SteppedUp {
                    "ALREADY_VERIFIED"
                } else {
                    "STATE_INVALID"
                },
            ));
        };
        challenge.verify(c.settings, c.now, code)?;
        self.token.step_up = StepUp::SteppedUp;
        self.token.challenge = None;
        self.token.reissues = 0;
        Ok(())
    }

    /// Refuses unless the token is stepped up for `what`.
    pub(crate) fn require(&self, for_account_information: bool) -> Result<(), WeavrError> {
        match self.token.step_up {
            StepUp::SteppedUp => Ok(()),
            StepUp::SpentOnTransaction if !for_account_information => Ok(()),
            _ => Err(WeavrError::step_up_required()),
        }
    }

    /// A new run; at the cap, runs that reached the end of what the sandbox
    /// plays (funding, or a failed challenge) make room.
    pub(crate) fn create_run(&mut self, request: Value) -> Result<&PaymentRun, WeavrError> {
        let c = self.ctx;
        make_room(self.runs, c.cap, |r| {
            matches!(r.status, "PENDING_FUNDING" | "SCA_FAILED")
        })
        .map_err(WeavrError::too_many)?;
        let id = c.ids.hex(24);
        let run = PaymentRun {
            id: id.clone(),
            owner: self.user_index,
            status: "PENDING_CONFIRMATION",
            request,
            created_at: c.now,
            sca: None,
        };
        Ok(self.runs.entry(id).or_insert(run))
    }

    pub(crate) fn run(&self, id: &str) -> Result<&PaymentRun, WeavrError> {
        self.runs
            .get(id)
            .filter(|r| r.owner == self.user_index)
            .ok_or_else(|| WeavrError::not_found("Payment run"))
    }

    /// Confirms a run: it now waits for its SCA challenge, and the token's
    /// step-up is spent on this transaction.
    pub(crate) fn confirm_run(&mut self, id: &str) -> Result<&PaymentRun, WeavrError> {
        let run = self.run_mut(id)?;
        if run.status != "PENDING_CONFIRMATION" {
            return Err(WeavrError::conflict("PAYMENT_RUN_ALREADY_CONFIRMED"));
        }
        run.status = "PENDING_CHALLENGE";
        self.token.step_up = StepUp::SpentOnTransaction;
        self.run(id)
    }

    /// One of this user's runs, to change.
    fn run_mut(&mut self, id: &str) -> Result<&mut PaymentRun, WeavrError> {
        let owner = self.user_index;
        self.runs
            .get_mut(id)
            .filter(|r| r.owner == owner)
            .ok_or_else(|| WeavrError::not_found("Payment run"))
    }

    fn mobile(&self) -> Result<String, WeavrError> {
        self.user
            .mobile
            .clone()
            .ok_or_else(|| WeavrError::conflict("MOBILE_NUMBER_INVALID"))
    }

    /// Sends the payment run's SCA code (the sandbox simulator's path).
    pub(crate) fn issue_run_sca(&mut self, id: &str) -> Result<SmsDraft, WeavrError> {
        let c = self.ctx;
        let mobile = self.mobile()?;
        let run = self.run_mut(id)?;
        if run.status != "PENDING_CHALLENGE" {
            return Err(WeavrError::conflict("STATE_INVALID"));
        }
        let challenge = Challenge::issue(c.settings, c.ids, c.now, run.sca.as_ref());
        let sms = sms(mobile, &challenge, "payment_run_sca");
        run.sca = Some(challenge);
        Ok(sms)
    }

    /// Verifies the payment run's SCA code; the run then waits for funding.
    /// The token's step-up is not touched: this SCA is for the transaction.
    pub(crate) fn verify_run_sca(&mut self, id: &str, code: &str) -> Result<(), WeavrError> {
        let c = self.ctx;
        let run = self.run_mut(id)?;
        let challenge = run
            .sca
            .as_mut()
            .ok_or_else(|| WeavrError::conflict("STATE_INVALID"))?;
        match challenge.verify(c.settings, c.now, code) {
            Ok(()) => {
                run.status = "PENDING_FUNDING";
                run.sca = None;
                Ok(())
            }
            Err(WeavrError::Code {
                error_code: "VERIFICATION_CODE_INVALID",
                ..
            }) => Err(WeavrError::conflict(
                "PAYMENT_RUN_SCA_CHALLENGE_VERIFY_FAILED",
            )),
            Err(other) => {
                if matches!(
                    other,
                    WeavrError::Code {
                        error_code: "CHALLENGE_LIMIT_EXCEEDED",
                        ..
                    }
                ) {
                    run.status = "SCA_FAILED";
                }
                Err(other)
            }
        }
    }
}

fn sms(to: String, challenge: &Challenge, purpose: &str) -> SmsDraft {
    SmsDraft {
        provider: "weavr",
        to,
        text: format!(
            "{} is your Weavr verification code. Never share it.",
            challenge.code
        ),
        code: Some(challenge.code.clone()),
        purpose: purpose.to_owned(),
        reference: Some(challenge.id.clone()),
    }
}
