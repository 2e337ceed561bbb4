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

pub(crate) use super::session::SessionMut;
use super::challenge::Challenge;
use super::config::User;
use super::error::WeavrError;
use super::routes::Profile;
use crate::limits::make_room;
use crate::ids::IdGen;
use crate::scenario::Scenario;
use crate::secret;

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
pub(super) struct Token {
    pub(super) user: usize,
    pub(super) profile: Profile,
    pub(super) last_active: DateTime<Utc>,
    pub(super) step_up: StepUp,
    pub(super) challenge: Option<Challenge>,
    /// Re-issues of the current step-up challenge.
    pub(super) reissues: u32,
    /// Set by a refused extra retry: only a new login issues challenges again.
    pub(super) exhausted: bool,
}

#[derive(Debug, Default)]
pub(super) struct Account {
    pub(super) enrolled: bool,
    pub(super) enrolment: Option<Challenge>,
    pub(super) failed_logins: u32,
    pub(super) locked_until: Option<DateTime<Utc>>,
}

/// A payment run, with the challenge that authorises it.
#[derive(Debug)]
pub(crate) struct PaymentRun {
    pub(crate) id: String,
    pub(crate) owner: usize,
    pub(crate) status: &'static str,
    pub(crate) request: Value,
    pub(crate) created_at: DateTime<Utc>,
    pub(super) sca: Option<Challenge>,
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
