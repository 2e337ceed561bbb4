//! Intergiro's state: session tokens, consents and the actions they guard.
//!
//! An action that needs consent answers 412 with a pending consent bound to
//! that action (a payment's `request_id`, a card or account action). Once
//! approved, repeating the action succeeds exactly once; a decline refuses it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::consent::MAX_WRONG_PASSCODES;
pub(crate) use super::consent::{Consent, Gate, Guarded, Passcode, RefreshError, Status, Summary};
use super::model::{ConsentView, PendingConsent};
use crate::ids::IdGen;
use crate::limits::{Cap, Capped, Full};
use crate::providers::Sections;
use crate::secret;

/// The world's context for Intergiro's store.
pub(crate) type Ctx<'a> = crate::providers::Ctx<'a, super::Intergiro>;

/// Intergiro writes milliseconds: `2021-05-11T09:55:17.000Z`.
pub(crate) use crate::timefmt::millis as stamp;

#[derive(Debug, Default)]
struct Inner {
    access: Capped<Box<str>, DateTime<Utc>>,
    refresh: Capped<Box<str>, (DateTime<Utc>, Box<str>)>,
    consents: Capped<String, Consent>,
    pages: HashMap<String, String>,
    actions: HashMap<String, String>,
}

impl Inner {
    /// Room for one more consent: at the cap, consents no one can act on
    /// (declined, expired, approved and used) go, with their action keys and
    /// page links. A payment's key goes with its used consent, so a repeat of
    /// it asks for consent again instead of a duplicate's 409: the cap's price.
    fn room_for_a_consent(&mut self, now: DateTime<Utc>, cap: Cap<'_>) -> Result<(), Full> {
        let forgotten = self.consents.make_room(cap, |c| match c.status {
            Status::Pending => c.expires_at <= now,
            Status::Approved => c.used,
            Status::Declined | Status::Expired => true,
        })?;
        if let Some((id, consent)) = forgotten {
            if self.actions.get(&consent.action) == Some(&id) {
                self.actions.remove(&consent.action);
            }
            if let Some(page) = &consent.page_token {
                self.pages.remove(page);
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) struct Store {
    api_keys: Vec<String>,
    pub(crate) fixtures: super::config::Fixtures,
    pub(crate) individuals: super::individuals::Individuals,
    pub(crate) moves: super::moves::Moves,
    pub(crate) cards: super::cards::CardStates,
    pub(crate) events: super::webhooks::Events,
    inner: Mutex<Inner>,
}

impl Store {
    /// `ids` is unused: nothing in this store's fixtures is generated.
    pub(crate) fn new(scenario: &Sections<'_>, _ids: &IdGen) -> Self {
        let f = &scenario.fixtures.intergiro;
        Self {
            api_keys: f.api_keys.clone(),
            fixtures: super::config::Fixtures {
                api_keys: Vec::new(),
                accounts: f.accounts.clone(),
                cards: f.cards.clone(),
                individuals: Vec::new(),
            },
            individuals: super::individuals::Individuals::new(&f.individuals, Utc::now()),
            moves: super::moves::Moves::default(),
            cards: super::cards::CardStates::new(&f.cards),
            events: super::webhooks::Events::default(),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Tokens for a known API key; `Ok(None)` for an unknown one.
    pub(crate) fn login(
        &self,
        ctx: Ctx<'_>,
        api_key: &str,
    ) -> Result<Option<(String, String)>, Full> {
        if !self.api_keys.iter().any(|k| secret::eq(k, api_key)) {
            return Ok(None);
        }
        self.issue(ctx).map(Some)
    }

    /// A new pair of tokens; at the cap, expired ones make room.
    fn issue(&self, ctx: Ctx<'_>) -> Result<(String, String), Full> {
        let mut inner = self.inner.lock();
        inner.access.make_room(ctx.cap, |exp| *exp <= ctx.now)?;
        inner
            .refresh
            .make_room(ctx.cap, |(exp, _)| *exp <= ctx.now)?;
        let access = format!("eyJ{}", ctx.ids.token(60));
        let refresh = ctx.ids.token(48);
        inner.access.insert(
            access.as_str().into(),
            ctx.now + ctx.settings.access_token_ttl.as_delta(),
        );
        inner.refresh.insert(
            refresh.as_str().into(),
            (
                ctx.now + ctx.settings.refresh_token_ttl.as_delta(),
                access.as_str().into(),
            ),
        );
        Ok((access, refresh))
    }

    /// Renews a session; refreshing while the access token still works is an
    /// error, as Intergiro documents. The old refresh token stops working.
    pub(crate) fn refresh(
        &self,
        ctx: Ctx<'_>,
        token: &str,
    ) -> Result<(String, String), RefreshError> {
        {
            let mut inner = self.inner.lock();
            let Some((expires, access)) = inner.refresh.get(token).cloned() else {
                return Err(RefreshError::Refused("unknown or used refresh token"));
            };
            if ctx.now >= expires {
                return Err(RefreshError::Refused("the refresh token has expired"));
            }
            if inner.access.get(&access).is_some_and(|exp| ctx.now < *exp) {
                return Err(RefreshError::Refused(
                    "the access token has not expired yet",
                ));
            }
            inner.refresh.remove(token);
            inner.access.remove(&access);
        }
        self.issue(ctx).map_err(RefreshError::Full)
    }

    pub(crate) fn authenticated(&self, now: DateTime<Utc>, token: Option<&str>) -> bool {
        token.is_some_and(|t| {
            self.inner
                .lock()
                .access
                .get(t)
                .is_some_and(|exp| now < *exp)
        })
    }

    /// Decides whether the action `key` may run. `once` actions (payments)
    /// refuse a repeat after running; others ask for consent again.
    pub(crate) fn gate(
        &self,
        ctx: Ctx<'_>,
        action: Guarded,
        summary: impl FnOnce() -> Summary,
        (events, broke): (&mut Vec<(&'static str, String)>, &mut Option<&'static str>),
    ) -> Gate {
        let Guarded {
            key,
            fingerprint,
            once,
            scope,
        } = action;
        let mut inner = self.inner.lock();
        if let Some(id) = inner.actions.get(&key).cloned() {
            if let Some(consent) = inner.consents.get_mut(&id) {
                if let Some(kind) = consent.settle(ctx) {
                    events.push((kind, id.clone()));
                }
                if consent.fingerprint != fingerprint {
                    return Gate::Duplicate;
                }
                match (consent.status, consent.used) {
                    (Status::Pending, _) => {
                        *broke = Some("intergiro.consent.retried_while_pending");
                        return Gate::Consent(consent.view());
                    }
                    (Status::Approved, false) => {
                        if consent.initiated_at.is_none() {
                            *broke = Some("intergiro.consent.not_initiated");
                        }
                        consent.used = true;
                        return Gate::Proceed;
                    }
                    (Status::Expired, _) => *broke = Some("intergiro.consent.expired"),
                    (Status::Approved, true) if once => return Gate::Duplicate,
                    (Status::Declined, _) => return Gate::Declined(id),
                    _ => {}
                }
            }
        }
        if let Err(full) = inner.room_for_a_consent(ctx.now, ctx.cap) {
            return Gate::Full(full);
        }
        let consent = Consent {
            id: ctx.ids.uuid().to_string(),
            scope,
            status: Status::Pending,
            created_at: ctx.now,
            expires_at: ctx.now + ctx.settings.consent_ttl.as_delta(),
            summary: summary(),
            return_url: None,
            page_token: None,
            initiated_at: None,
            action: key.clone(),
            fingerprint,
            used: false,
            wrong_passcodes: 0,
        };
        let view = consent.view();
        events.push(("consent.created", consent.id.clone()));
        inner.actions.insert(key, consent.id.clone());
        inner.consents.insert(consent.id.clone(), consent);
        Gate::Consent(view)
    }

    /// Starts the consent: a page token for the hosted page.
    pub(crate) fn initiate(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        return_url: Option<String>,
    ) -> Result<(String, DateTime<Utc>), Option<Status>> {
        let mut inner = self.inner.lock();
        let consent = inner.consents.get_mut(id).ok_or(None)?;
        consent.settle(ctx);
        if consent.status != Status::Pending {
            return Err(Some(consent.status));
        }
        let token = ctx.ids.token(48);
        consent.wrong_passcodes = 0;
        let previous = consent.page_token.replace(token.clone());
        consent.return_url = return_url;
        consent.initiated_at = Some(ctx.now);
        let expires = consent.expires_at;
        if let Some(previous) = previous {
            inner.pages.remove(&previous);
        }
        inner.pages.insert(token.clone(), id.to_owned());
        Ok((token, expires))
    }

    pub(crate) fn consent(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        events: &mut Vec<(&'static str, String)>,
    ) -> Option<ConsentView> {
        let mut inner = self.inner.lock();
        let consent = inner.consents.get_mut(id)?;
        if let Some(kind) = consent.settle(ctx) {
            events.push((kind, id.to_owned()));
        }
        Some(consent.view())
    }

    /// The consent behind a live page token.
    pub(crate) fn page(
        &self,
        ctx: Ctx<'_>,
        token: &str,
    ) -> Option<(String, Summary, &'static str)> {
        let mut inner = self.inner.lock();
        let id = inner.pages.get(token)?.clone();
        let consent = inner.consents.get_mut(&id)?;
        consent.settle(ctx);
        (consent.status == Status::Pending && consent.page_token.as_deref() == Some(token))
            .then(|| (id, consent.summary.clone(), consent.scope))
    }

    /// The user decides on the page (with a token) or through the control API
    /// (without). Returns the consent's return URL.
    pub(crate) fn decide(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        token: Option<&str>,
        approve: bool,
    ) -> Result<(Option<String>, &'static str), Option<Status>> {
        let mut inner = self.inner.lock();
        let consent = inner.consents.get_mut(id).ok_or(None)?;
        consent.settle(ctx);
        if consent.status != Status::Pending {
            return Err(Some(consent.status));
        }
        if token.is_some() && consent.page_token.as_deref() != token {
            return Err(None);
        }
        let page = consent.page_token.clone();
        let kind = consent.decide(approve).unwrap_or("consent.approved");
        let url = consent.return_url.clone();
        if let Some(page) = page {
            inner.pages.remove(&page);
        }
        Ok((url, kind))
    }

    /// Expires pending consents, runs the simulated user, forgets old ones.
    pub(crate) fn sweep(&self, ctx: Ctx<'_>) -> Vec<(&'static str, String)> {
        let mut inner = self.inner.lock();
        let mut events = Vec::new();
        for consent in inner.consents.values_mut() {
            if let Some(kind) = consent.settle(ctx) {
                events.push((kind, consent.id.clone()));
            }
        }
        let keep = ctx.now - chrono::TimeDelta::hours(24);
        inner.access.retain(|_, exp| ctx.now < *exp);
        inner.refresh.retain(|_, (exp, _)| ctx.now < *exp);
        let stale: Vec<String> = inner
            .consents
            .values()
            .filter(|c| c.expires_at < keep)
            .map(|c| c.id.clone())
            .collect();
        for id in stale {
            if let Some(c) = inner.consents.remove(&id) {
                inner.actions.remove(&c.action);
            }
        }
        // A page link dies with its consent's expiry; without this its entry
        // would outlive it.
        let Inner {
            pages, consents, ..
        } = &mut *inner;
        pages.retain(|_, id| consents.get(id).is_some_and(|c| c.page_token.is_some()));
        events
    }

    /// Pending consents for the dashboard, oldest first, each with the path of
    /// its hosted page once initiated.
    pub(crate) fn pending(&self, now: DateTime<Utc>, base_path: &str) -> Vec<PendingConsent> {
        let inner = self.inner.lock();
        let mut pending: Vec<&Consent> = inner
            .consents
            .values()
            .filter(|c| c.status == Status::Pending && now < c.expires_at)
            .collect();
        pending.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        pending
            .into_iter()
            .map(|c| {
                let page = c
                    .page_token
                    .as_ref()
                    .map(|t| format!("{base_path}/intergiro/sca/consent?token={t}"));
                PendingConsent {
                    id: c.id.clone(),
                    scope: c.scope,
                    summary: c.summary.clone(),
                    expires_at: stamp(&c.expires_at),
                    page,
                }
            })
            .collect()
    }

    pub(crate) fn stats(&self) -> Value {
        let (inner, individuals) = (self.inner.lock(), self.individuals.count());
        json!({ "consents": inner.consents.len(), "pages": inner.pages.len(), "tokens": inner.access.len(), "individuals": individuals })
    }

    /// Checks a passcode typed on the page of `token`; three wrong ones burn
    /// the link (the consent stays pending, so the app can start it again).
    pub(crate) fn passcode(&self, ctx: Ctx<'_>, token: &str, passcode: &str) -> Passcode {
        if secret::eq(&ctx.settings.passcode, passcode) {
            return Passcode::Right;
        }
        let mut inner = self.inner.lock();
        let Some(id) = inner.pages.get(token).cloned() else {
            return Passcode::Locked;
        };
        let Some(consent) = inner.consents.get_mut(&id) else {
            return Passcode::Locked;
        };
        consent.wrong_passcodes += 1;
        if consent.wrong_passcodes < MAX_WRONG_PASSCODES {
            return Passcode::Wrong;
        }
        consent.wrong_passcodes = 0;
        consent.page_token = None;
        inner.pages.remove(token);
        Passcode::Locked
    }
}
