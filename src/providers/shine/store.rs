//! Shine's state: action requests, their short-lived tokens and the transfers
//! those tokens authorised.
//!
//! Lifetimes are kept in a deadline index, so the sweeper touches only what has
//! come due, and the lazy `settle` on every read means a request is never seen in
//! a state its deadlines have passed, even between sweeps.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::value::RawValue;
use serde_json::Value;
use uuid::Uuid;

use super::config::Decide;
pub(crate) use super::directory::Directory;
use super::error::{self, ShineError};
use super::model::{ActionRequestView, Status, Transfer, TransferBody};
use super::oauth::OAuth;
use super::requests::{ActionRequest, Key};
use crate::deadlines::Deadlines;
use crate::ids::FastMap;
use crate::ids::IdGen;
use crate::limits::{Capped, Full};
use crate::providers::Sections;

/// A checked create: the client and user as the directory holds them.
#[derive(Debug)]
pub(crate) struct NewActionRequest<'a> {
    pub(crate) client_id: Arc<str>,
    pub(crate) uid: Arc<str>,
    pub(crate) payload: &'a RawValue,
}

/// The world's context for Shine's store.
pub(crate) type Ctx<'a> = crate::providers::Ctx<'a, super::Shine>;

/// Something that happened, for the timeline.
#[derive(Debug)]
pub(crate) struct Happened {
    pub(crate) kind: &'static str,
    pub(crate) subject: String,
    pub(crate) at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    /// Boxed so the table holds small entries: a million live requests
    /// grow it by rehashing pointers, not whole requests, and an insert
    /// writes the request where the allocator has memory at hand.
    pub(super) requests: Capped<Uuid, Box<ActionRequest>>,
    pub(super) tokens: FastMap<Box<str>, Uuid>,
    pub(super) transfers: Capped<Uuid, Transfer>,
    pub(super) deadlines: Deadlines<Key>,
}

/// Why the control API could not decide a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecideError {
    NotFound,
    NotPending(Status),
}

/// Shine's whole state in one world.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) directory: Directory,
    inner: Mutex<Inner>,
    pub(crate) oauth: Mutex<OAuth>,
}

impl Store {
    /// `ids` is unused: nothing in this store's fixtures is generated.
    pub(crate) fn new(scenario: &Sections<'_>, _ids: &IdGen) -> Self {
        Self {
            directory: Directory::new(scenario),
            inner: Mutex::new(Inner::default()),
            oauth: Mutex::new(OAuth::default()),
        }
    }

    /// Creates a pending request and renders it with `render` under the
    /// lock; refused when the store is full of live requests.
    pub(crate) fn create<R>(
        &self,
        ctx: Ctx<'_>,
        new: NewActionRequest<'_>,
        out: &mut Vec<Happened>,
        render: impl FnOnce(ActionRequestView<'_>) -> R,
    ) -> Result<R, Full> {
        let id = ctx.ids.uuid();
        let expires_at = ctx.now + ctx.settings.action_request_ttl.as_delta();
        let request = ActionRequest {
            client_id: new.client_id,
            uid: new.uid,
            payload: new.payload.to_owned(),
            status: Status::Pending,
            created_at: ctx.now,
            updated_at: ctx.now,
            expires_at,
            token: None,
            token_expires_at: ctx.now,
            token_used: false,
            polls: 0,
            polled: None,
        };
        let mut inner = self.inner.lock();
        inner.make_room_for_request(ctx.now, ctx.cap)?;
        inner.deadlines.push(expires_at, Key::Request(id));
        out.push(Happened {
            kind: "action_request.created",
            subject: id.to_string(),
            at: ctx.now,
        });
        let sim = &ctx.users.action_request;
        if sim.decide() != Decide::Ignore && sim.after_polls.is_none() {
            let due = ctx.now + sim.after.unwrap_or_default().as_delta();
            inner.deadlines.push(due, Key::Request(id));
            inner.requests.insert(id, Box::new(request));
            inner.settle(id, ctx, out);
            return Ok(render(inner.requests[&id].view(id)));
        }
        let request = inner
            .requests
            .entry(id)
            .insert_entry(Box::new(request))
            .into_mut();
        Ok(render(request.view(id)))
    }

    /// Answers a poll by `client_id`, letting the simulated user act first.
    pub(crate) fn poll<R>(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        client_id: &str,
        (out, last): (&mut Vec<Happened>, &mut Option<super::report::Polled>),
        render: impl FnOnce(ActionRequestView<'_>) -> R,
    ) -> Result<R, ShineError> {
        let not_found = || ShineError::not_found("Action request");
        let id = Uuid::parse_str(id).map_err(|_| not_found())?;
        let mut inner = self.inner.lock();
        match inner.requests.get(&id) {
            Some(r) if &*r.client_id == client_id => {}
            _ => return Err(not_found()),
        }
        inner.settle(id, ctx, out);
        if let Some(after_polls) = ctx.users.action_request.after_polls {
            let request = inner.requests.get_mut(&id).ok_or_else(not_found)?;
            if request.status == Status::Pending {
                if request.polls >= after_polls {
                    inner.decide(id, ctx.users.action_request.decide(), ctx, ctx.now, out);
                } else {
                    request.polls += 1;
                }
            }
        }
        let request = inner.requests.get_mut(&id).ok_or_else(not_found)?;
        // Shine still shows an expired request PENDING; its expiresAt tells
        // the client it is over.
        let over = request.status != Status::Pending || request.expires_at <= ctx.now;
        *last = super::report::Polled::note(&mut request.polled, ctx.now, over);
        Ok(render(request.view(id)))
    }

    /// The control API plays the user: confirm or reject a pending request.
    pub(crate) fn decide<R>(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        decision: Decide,
        out: &mut Vec<Happened>,
        render: impl FnOnce(ActionRequestView<'_>) -> R,
    ) -> Result<R, DecideError> {
        let id = Uuid::parse_str(id).map_err(|_| DecideError::NotFound)?;
        let mut inner = self.inner.lock();
        if !inner.requests.contains_key(&id) {
            return Err(DecideError::NotFound);
        }
        inner.settle(id, ctx, out);
        let status = inner.requests[&id].status;
        if status != Status::Pending {
            return Err(DecideError::NotPending(status));
        }
        inner.decide(id, decision, ctx, ctx.now, out);
        Ok(render(inner.requests[&id].view(id)))
    }

    /// Every request, settled, optionally only those with `status`.
    pub(crate) fn list(
        &self,
        ctx: Ctx<'_>,
        status: Option<Status>,
        out: &mut Vec<Happened>,
    ) -> Vec<Value> {
        let mut inner = self.inner.lock();
        let ids: Vec<Uuid> = inner.requests.keys().copied().collect();
        for id in &ids {
            inner.settle(*id, ctx, out);
        }
        let mut listed: Vec<(DateTime<Utc>, Value)> = inner
            .requests
            .iter()
            .filter(|(_, r)| status.is_none_or(|s| r.status == s))
            .filter_map(|(id, r)| Some((r.created_at, serde_json::to_value(r.view(*id)).ok()?)))
            .collect();
        listed.sort_by_key(|(at, _)| *at);
        listed.into_iter().map(|(_, v)| v).collect()
    }

    /// Spends a short-lived token on a transfer, exactly once, and records the
    /// transfer. Everything is checked before the token is spent, so a rejected
    /// attempt does not burn it.
    pub(crate) fn spend_token_on_transfer(
        &self,
        ctx: Ctx<'_>,
        token: &str,
        uid: &str,
        body: &Value,
        transfer: &TransferBody<'_>,
        out: &mut Vec<Happened>,
    ) -> Result<Transfer, ShineError> {
        let mut inner = self.inner.lock();
        // Transfers are records a client reads back until they are purged;
        // none is finished early, so a full table refuses.
        inner
            .transfers
            .make_room(ctx.cap, |_| false)
            .map_err(ShineError::too_many)?;
        let id = *inner.tokens.get(token).ok_or_else(|| {
            ShineError::forbidden("invalid_short_lived_token", error::SLT_INVALID)
        })?;
        let request = inner.requests.get_mut(&id).ok_or_else(|| {
            ShineError::forbidden("invalid_short_lived_token", error::SLT_INVALID)
        })?;
        if request.token_used {
            return Err(ShineError::forbidden(
                "short_lived_token_used",
                error::SLT_USED,
            ));
        }
        if ctx.now >= request.token_expires_at {
            return Err(ShineError::forbidden(
                "short_lived_token_expired",
                error::SLT_EXPIRED,
            ));
        }
        let payload: Value = serde_json::from_str(request.payload.get()).unwrap_or(Value::Null);
        // Every request is for `bank:transfers:create`, the action this
        // endpoint performs; the user and the payload are what can differ.
        if &*request.uid != uid || !json_eq(&payload, body) {
            return Err(ShineError::forbidden(
                "short_lived_token_mismatch",
                error::SLT_MISMATCH,
            ));
        }
        request.token_used = true;
        out.push(Happened {
            kind: "token.used",
            subject: id.to_string(),
            at: ctx.now,
        });
        let record = Transfer {
            bank_transfer_id: ctx.ids.uuid(),
            uid: uid.to_owned(),
            amount: transfer.amount.clone(),
            currency: transfer.currency.as_deref().unwrap_or("EUR").to_owned(),
            bank_transfer_recipient_id: transfer.bank_transfer_recipient_id.clone().into_owned(),
            recipient_name: self
                .directory
                .recipient_name(&transfer.bank_transfer_recipient_id)
                .unwrap_or_default()
                .to_owned(),
            user_label: transfer.user_label.clone().map(Cow::into_owned),
            status: "PENDING",
            authentication_action_request_id: id,
            created_at: ctx.now,
        };
        let purge = ctx.now + ctx.settings.retention.as_delta();
        inner
            .deadlines
            .push(purge, Key::Transfer(record.bank_transfer_id));
        inner
            .transfers
            .insert(record.bank_transfer_id, record.clone());
        out.push(Happened {
            kind: "transfer.created",
            subject: record.bank_transfer_id.to_string(),
            at: ctx.now,
        });
        Ok(record)
    }

    /// A transfer of `uid`'s.
    pub(crate) fn transfer(&self, id: &str, uid: &str) -> Option<Transfer> {
        let id = Uuid::parse_str(id).ok()?;
        self.inner
            .lock()
            .transfers
            .get(&id)
            .filter(|t| t.uid == uid)
            .cloned()
    }

    /// Every transfer of `uid`'s still kept, newest first.
    pub(crate) fn transfers_of(&self, uid: &str) -> Vec<Transfer> {
        let mut list: Vec<Transfer> = self
            .inner
            .lock()
            .transfers
            .values()
            .filter(|t| t.uid == uid)
            .cloned()
            .collect();
        list.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(b.bank_transfer_id.cmp(&a.bank_transfer_id))
        });
        list
    }

    /// Settles what has come due and forgets what has outlived its retention.
    pub(crate) fn sweep(&self, ctx: Ctx<'_>, out: &mut Vec<Happened>) {
        let mut inner = self.inner.lock();
        while let Some((_, key)) = inner.deadlines.pop_due(ctx.now) {
            match key {
                Key::Request(id) => {
                    inner.settle(id, ctx, out);
                    let expired = inner.requests.get(&id).is_some_and(|r| {
                        r.status != Status::Pending && r.purge_at(ctx.settings) <= ctx.now
                    });
                    if expired {
                        if let Some(request) = inner.requests.remove(&id) {
                            if let Some(token) = request.token {
                                inner.tokens.remove(&token);
                            }
                        }
                    }
                }
                Key::Transfer(id) => {
                    inner.transfers.remove(&id);
                }
            }
        }
    }

    /// Live objects, for the control API's stats.
    pub(crate) fn stats(&self) -> serde_json::Value {
        let inner = self.inner.lock();
        serde_json::json!({
            "action_requests": inner.requests.len(),
            "transfers": inner.transfers.len(),
            "tokens": inner.tokens.len(),
        })
    }
}

/// JSON equality that treats `234` and `234.0` as the same amount.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_eq_ignores_number_representation_only() {
        assert!(json_eq(
            &json!({"a": 234, "b": [1]}),
            &json!({"b": [1.0], "a": 234.0})
        ));
        assert!(!json_eq(&json!({"a": 234}), &json!({"a": 235})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_eq(&json!({"a": "1"}), &json!({"a": 1})));
    }
}
