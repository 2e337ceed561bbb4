//! Weavr's state: users' logins and factors, auth tokens with their step-up,
//! payment runs, Multi transactions (sends and outgoing wire transfers) and
//! the challenges that confirm them.
//!
//! A token's step-up and a transaction's confirmation are separate, as
//! PSD2's dynamic linking and the guide's caution read: a challenge that
//! confirms a transaction never steps a token up, so account information
//! keeps needing the token's own step-up.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::Value;

use super::buyers::{AuthorisedUser, Buyer};
use super::challenge::Challenge;
use super::config::User;
use super::error::WeavrError;
use super::routes::Profile;
use super::runs::PaymentRun;
use super::sca::Sca;
use super::transfers::Transfer;
use crate::ids::IdGen;
use crate::limits::Capped;
use crate::providers::Sections;
use crate::secret;

pub(crate) use super::session::SessionMut;

/// Timeline steps (id and event) and webhook events, waiting to go out.
pub(crate) type Happened = (Vec<(String, &'static str)>, Vec<super::webhooks::Pending>);

/// The world's context for Weavr's store.
pub(crate) type Ctx<'a> = crate::providers::Ctx<'a, super::Weavr>;

/// How far a token is stepped up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepUp {
    Standard,
    SteppedUp,
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
    /// A push step-up in flight, by its challenge id.
    pub(super) push: Option<String>,
}

#[derive(Debug)]
pub(super) struct Account {
    pub(super) enrolled: bool,
    pub(super) enrolment: Option<Challenge>,
    pub(super) failed_logins: u32,
    pub(super) locked_until: Option<DateTime<Utc>>,
    /// The buyer (Payment Run) this user administers.
    pub(super) buyer: Buyer,
}

/// What the users' requests create, apart from their tokens.
#[derive(Debug, Default)]
pub(super) struct Data {
    pub(super) runs: Capped<String, PaymentRun>,
    /// Each user's payment runs, for their list.
    pub(super) runs_owned: std::collections::HashMap<usize, indexmap::IndexSet<String>>,
    pub(super) transfers: Capped<String, Transfer>,
    /// Each user's transactions, so that their list never walks the store.
    pub(super) owned: std::collections::HashMap<usize, indexmap::IndexSet<String>>,
    /// Transaction and push challenges, by their numeric id.
    pub(super) scas: Capped<String, Sca>,
    /// The push challenges among them, so that settling what came due looks
    /// at pushes only, however many OTP challenges there are.
    pub(super) pushes: std::collections::BTreeSet<String>,
    pub(super) users: Vec<AuthorisedUser>,
    /// Orders payment runs for their list.
    pub(super) seq: u64,
    /// Push challenges settled and not yet published: id and event.
    pub(super) happened: Vec<(String, &'static str)>,
    /// Webhook events noted and not yet handed to the engine.
    pub(super) hooks: super::webhooks::Noted,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) accounts: Vec<Account>,
    pub(super) tokens: Capped<Box<str>, Token>,
    /// Tokens that idled out lately, so a call with one is told apart from
    /// a call with a token that never was (for the report).
    pub(super) idled: indexmap::IndexSet<Box<str>>,
    pub(super) data: Data,
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
    first_key: Option<String>,
    pub(super) users: Vec<User>,
    pub(super) inner: Mutex<Inner>,
    /// Something settled and waits in `Data::happened` to be published.
    happened: std::sync::atomic::AtomicBool,
}

impl Store {
    /// Every fixture user administers a buyer created when the world starts.
    pub(crate) fn new(scenario: &Sections<'_>, _ids: &IdGen) -> Self {
        let fixtures = &scenario.fixtures.weavr;
        let accounts = fixtures
            .users
            .iter()
            .map(|u| Account {
                enrolled: u.sms_enrolled,
                enrolment: None,
                failed_logins: 0,
                locked_until: None,
                buyer: Buyer::default(),
            })
            .collect();
        Self {
            api_keys: fixtures.api_keys.iter().map(|k| k.value.clone()).collect(),
            first_key: fixtures.api_keys.first().map(|k| k.value.clone()),
            users: fixtures.users.clone(),
            inner: Mutex::new(Inner {
                accounts,
                tokens: Capped::default(),
                idled: indexmap::IndexSet::new(),
                data: Data {
                    hooks: super::webhooks::Noted::new(scenario.settings.weavr.webhooks.is_some()),
                    ..Data::default()
                },
            }),
            happened: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(crate) fn api_key_ok(&self, key: &str) -> bool {
        self.api_keys.iter().any(|k| secret::eq(k, key))
    }

    pub(crate) fn user(&self, index: usize) -> &User {
        &self.users[index]
    }

    /// Logs in: a token on success, a body-less 401 for a wrong email or
    /// password (the descriptions give no code), a 423 once locked: body-less
    /// as Multi declares it; Payment Run declares no 423, so its `default`
    /// body, `{code, message}`, comes with it.
    pub(crate) fn login(
        &self,
        ctx: Ctx<'_>,
        profile: Profile,
        email: &str,
        password: &str,
    ) -> Result<(String, usize), WeavrError> {
        let Some(index) = self
            .users
            .iter()
            .position(|u| u.email.value.eq_ignore_ascii_case(email))
        else {
            return Err(WeavrError::Unauthorized);
        };
        let locked = || match profile {
            Profile::Multi => WeavrError::Locked,
            Profile::PaymentRun => WeavrError::Default {
                status: hyper::StatusCode::LOCKED,
                code: "LOCKED",
                message: "Too many wrong passwords in a row: the login is locked for a while"
                    .to_owned(),
            },
        };
        let mut inner = self.inner.lock();
        let account = &mut inner.accounts[index];
        if account.locked_until.is_some_and(|until| ctx.now < until) {
            return Err(locked());
        }
        let (identity_type, credential_type) =
            super::model::login_types(profile, &self.users[index].role);
        if !secret::eq(&self.users[index].password, password) {
            inner
                .data
                .hooks
                .note(|| super::webhooks::login(index, identity_type, credential_type, false));
            self.note(&inner);
            let account = &mut inner.accounts[index];
            account.failed_logins += 1;
            if account.failed_logins >= ctx.settings.max_login_attempts {
                account.failed_logins = 0;
                account.locked_until = Some(ctx.now + ctx.settings.lockout.as_delta());
                return Err(locked());
            }
            return Err(WeavrError::Unauthorized);
        }
        inner
            .data
            .hooks
            .note(|| super::webhooks::login(index, identity_type, credential_type, true));
        self.note(&inner);
        let account = &mut inner.accounts[index];
        account.failed_logins = 0;
        account.locked_until = None;
        let idle = ctx.settings.token_idle_timeout.as_delta();
        inner
            .tokens
            .make_room(ctx.cap, |t| t.last_active + idle <= ctx.now)
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
                push: None,
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
        let key = token.ok_or(WeavrError::Unauthorized)?;
        let mut inner = self.inner.lock();
        // Pushes due by now are settled before the request sees them, so
        // an answer never depends on when the sweeper last ran.
        self.settle_due(&mut inner, ctx);
        let idle = ctx.settings.token_idle_timeout.as_delta();
        let Inner { tokens, idled, .. } = &mut *inner;
        let alive = match tokens.get_mut(key) {
            Some(t) if t.profile == profile && ctx.now < t.last_active + idle => {
                t.last_active = ctx.now;
                true
            }
            Some(t) if t.profile == profile => false,
            // Only an unknown token pays for telling an idled one apart.
            None if idled.contains(key) => return Err(WeavrError::Expired),
            _ => return Err(WeavrError::Unauthorized),
        };
        if !alive {
            inner.tokens.remove(key);
            return Err(WeavrError::Expired);
        }
        let Inner {
            accounts,
            tokens,
            data,
            ..
        } = &mut *inner;
        let token = tokens.get_mut(key).ok_or(WeavrError::Unauthorized)?;
        let user = token.user;
        let mut session = SessionMut {
            ctx,
            user: &self.users[user],
            user_index: user,
            fixtures: &self.users,
            token_key: key,
            token,
            account: &mut accounts[user],
            data,
        };
        let result = f(&mut session);
        self.note(&inner);
        result
    }

    /// Raises the flag when something waits to be published.
    fn note(&self, inner: &Inner) {
        if !inner.data.happened.is_empty() || !inner.data.hooks.pending.is_empty() {
            self.happened
                .store(true, std::sync::atomic::Ordering::Release);
        }
    }

    /// The first API key, which signs webhooks unless the scenario names a
    /// secret.
    pub(crate) fn first_api_key(&self) -> Option<&str> {
        self.first_key.as_deref()
    }

    /// Forgets tokens idle past the timeout, and settles push challenges
    /// that expired or that the simulated user decided.
    pub(crate) fn sweep(&self, ctx: Ctx<'_>) {
        let idle = ctx.settings.token_idle_timeout.as_delta();
        let mut inner = self.inner.lock();
        let Inner { tokens, idled, .. } = &mut *inner;
        tokens.retain(|key, t| {
            let alive = ctx.now < t.last_active + idle;
            if !alive {
                idled.insert(key.clone());
            }
            alive
        });
        // The last thousand are enough to tell a late call apart.
        while idled.len() > 1_000 {
            idled.shift_remove_index(0);
        }
        self.settle_due(&mut inner, ctx);
        super::sca::forget_expired(&mut inner.data, ctx.now);
    }

    /// Settles a pending push as its user would: `owner` limits it to one
    /// user's (the Simulator), `None` is the control API.
    pub(crate) fn settle_push(
        &self,
        owner: Option<usize>,
        id: &str,
        outcome: super::sca::Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), WeavrError> {
        let mut inner = self.inner.lock();
        let theirs = inner
            .data
            .scas
            .get(id)
            .is_some_and(|s| owner.is_none_or(|o| s.owner == o));
        if !theirs {
            return Err(WeavrError::not_found("Challenge"));
        }
        let settled = super::push::decide_push(&mut inner, &self.users, id, outcome, now);
        self.note(&inner);
        settled
    }

    /// Pushes waiting for their user, for the control API and the dashboard.
    pub(crate) fn pending_pushes(&self, ctx: Ctx<'_>) -> Vec<super::control::PendingPush> {
        let mut inner = self.inner.lock();
        self.settle_due(&mut inner, ctx);
        super::control::pending_pushes(&inner, &self.users)
    }

    /// What settled since the last call, for the journal, and the webhook
    /// events noted.
    pub(crate) fn take_happened(&self) -> Happened {
        // Every Weavr answer asks; almost always nothing happened, and the
        // flag says so without taking the lock again.
        if !self
            .happened
            .swap(false, std::sync::atomic::Ordering::AcqRel)
        {
            return Happened::default();
        }
        let mut inner = self.inner.lock();
        (
            std::mem::take(&mut inner.data.happened),
            std::mem::take(&mut inner.data.hooks.pending),
        )
    }

    /// Settles the pushes that came due, raising the flag for the journal.
    fn settle_due(&self, inner: &mut Inner, ctx: Ctx<'_>) {
        super::push::settle_due(inner, &self.users, ctx);
        self.note(inner);
    }

    pub(crate) fn stats(&self) -> Value {
        let inner = self.inner.lock();
        serde_json::json!({
            "tokens": inner.tokens.len(),
            "payment_runs": inner.data.runs.len(),
            "transfers": inner.data.transfers.len(),
            "challenges": inner.data.scas.len(),
        })
    }
}
