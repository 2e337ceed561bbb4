//! One action request: its lifecycle (pending, then confirmed with a
//! short-lived token, rejected, or expired), as the simulated user and the
//! clock move it, and when a finished one is forgotten.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::config::{Decide, Settings};
use super::model::{ActionRequestView, Status, ACTION_TRANSFER_CREATE};
use super::store::{Ctx, Happened, Inner};
use crate::limits::{Cap, Full};

#[derive(Debug)]
pub(super) struct ActionRequest {
    pub(super) client_id: Arc<str>,
    pub(super) uid: Arc<str>,
    pub(super) payload: Box<RawValue>,
    pub(super) status: Status,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) token: Option<Box<str>>,
    pub(super) token_expires_at: DateTime<Utc>,
    pub(super) token_used: bool,
    /// Polls answered `PENDING`, for `after_polls`.
    pub(super) polls: u32,
    /// The last poll, for the report's poll rules; boxed, so a request
    /// never polled costs one pointer.
    pub(super) polled: Option<Box<super::report::Polled>>,
}

impl ActionRequest {
    pub(super) fn view(&self, id: Uuid) -> ActionRequestView<'_> {
        ActionRequestView {
            authentication_action_request_id: id,
            client_id: &self.client_id,
            // The only action accepted, so not stored with each request.
            action: ACTION_TRANSFER_CREATE,
            payload: &self.payload,
            uid: &self.uid,
            status: self.status,
            token: self.token.as_deref(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            expires_at: self.expires_at,
        }
    }

    /// Whether no client can act on it any more: decided or expired, and
    /// its token, if any, spent or dead. Such a request goes first when the
    /// store is full.
    pub(super) fn finished(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            _ if self.expires_at <= now && self.status == Status::Pending => true,
            Status::Pending => false,
            Status::Confirmed => self.token_used || self.token_expires_at <= now,
            _ => true,
        }
    }

    /// When a finished request may be forgotten.
    pub(super) fn purge_at(&self, settings: &Settings) -> DateTime<Utc> {
        let last = if self.token.is_some() {
            self.token_expires_at.max(self.updated_at)
        } else if self.status == Status::Expired {
            self.expires_at
        } else {
            self.updated_at
        };
        last + settings.retention.as_delta()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Key {
    Request(Uuid),
    Transfer(Uuid),
}

impl Inner {
    /// Room for one more request: at the cap, finished requests go, with
    /// their tokens and deadlines.
    pub(super) fn make_room_for_request(
        &mut self,
        now: DateTime<Utc>,
        cap: Cap<'_>,
    ) -> Result<(), Full> {
        let forgotten = self.requests.make_room(cap, |r| r.finished(now))?;
        if let Some(token) = forgotten.and_then(|(_, request)| request.token) {
            self.tokens.remove(&token);
        }
        let Self {
            requests,
            transfers,
            deadlines,
            ..
        } = self;
        deadlines.compact(|key| match key {
            Key::Request(id) => requests.contains_key(id),
            Key::Transfer(id) => transfers.contains_key(id),
        });
        Ok(())
    }

    /// Brings a request up to `ctx.now`: the simulated user's timed decision,
    /// then expiry, each at the instant it was due.
    pub(super) fn settle(&mut self, id: Uuid, ctx: Ctx<'_>, out: &mut Vec<Happened>) {
        let Some(request) = self.requests.get_mut(&id) else {
            return;
        };
        if request.status != Status::Pending {
            return;
        }
        let sim = &ctx.users.action_request;
        if sim.decide() != Decide::Ignore && sim.after_polls.is_none() {
            let due = request.created_at + sim.after.unwrap_or_default().as_delta();
            if due <= ctx.now && due < request.expires_at {
                self.decide(id, sim.decide(), ctx, due, out);
                return;
            }
        }
        if request.expires_at <= ctx.now {
            // Nothing changes on Shine's side: the status stays PENDING on
            // the wire and `updatedAt` where it was.
            request.status = Status::Expired;
            let (at, purge) = (request.expires_at, request.purge_at(ctx.settings));
            self.deadlines.push(purge, Key::Request(id));
            out.push(Happened {
                kind: "action_request.expired",
                subject: id.to_string(),
                at,
            });
        }
    }

    /// Confirms (issuing the short-lived token) or rejects, as of `at`.
    pub(super) fn decide(
        &mut self,
        id: Uuid,
        decision: Decide,
        ctx: Ctx<'_>,
        at: DateTime<Utc>,
        out: &mut Vec<Happened>,
    ) {
        let Some(request) = self.requests.get_mut(&id) else {
            return;
        };
        let kind = match decision {
            Decide::Confirm => {
                let token: Box<str> = format!("slt_{}", ctx.ids.token(40)).into();
                self.tokens.insert(token.clone(), id);
                request.token = Some(token);
                request.token_expires_at = at + ctx.settings.token_ttl.as_delta();
                request.status = Status::Confirmed;
                "action_request.confirmed"
            }
            Decide::Reject => {
                request.status = Status::Rejected;
                "action_request.rejected"
            }
            Decide::Ignore => return,
        };
        request.updated_at = at;
        self.deadlines
            .push(request.purge_at(ctx.settings), Key::Request(id));
        out.push(Happened {
            kind,
            subject: id.to_string(),
            at,
        });
    }
}
