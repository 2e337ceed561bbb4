//! A consent: what the user is asked to approve, its page, and how it ends
//! (approved, declined, expired), by the user or the simulated one.

use chrono::{DateTime, Utc};

use super::config::Decide;
use super::model::ConsentView;
use super::store::{stamp, Ctx};
use crate::limits::Full;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Approved,
    Declined,
    Expired,
}

impl Status {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Expired => "expired",
        }
    }
}

/// What the consent page and the dashboard show the user.
pub(crate) use crate::display::Summary;

#[derive(Debug)]
pub(crate) struct Consent {
    pub(crate) id: String,
    pub(crate) scope: &'static str,
    pub(crate) status: Status,
    pub(super) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) summary: Summary,
    pub(crate) return_url: Option<String>,
    pub(super) page_token: Option<String>,
    pub(super) initiated_at: Option<DateTime<Utc>>,
    /// The guarded action: its key and a fingerprint of its request.
    pub(super) action: String,
    pub(super) fingerprint: u64,
    pub(super) used: bool,
    /// Wrong passcodes typed on the current page.
    pub(super) wrong_passcodes: u32,
}

/// Wrong passcodes a consent page takes before its link stops working.
pub(super) const MAX_WRONG_PASSCODES: u32 = 3;

/// What a typed passcode did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Passcode {
    Right,
    Wrong,
    /// The last allowed try was wrong: the link is gone.
    Locked,
}

impl Consent {
    pub(crate) fn view(&self) -> ConsentView {
        ConsentView {
            id: self.id.clone(),
            status: self.status.name(),
            scope: [self.scope],
            expires_at: stamp(&self.expires_at),
            created_at: stamp(&self.created_at),
        }
    }

    /// Expiry, and the simulated user's timed decision, as of `now`.
    pub(super) fn settle(&mut self, ctx: Ctx<'_>) -> Option<&'static str> {
        if self.status != Status::Pending {
            return None;
        }
        if let (Some(initiated), Some(after)) = (self.initiated_at, ctx.users.consent.after) {
            let due = initiated + after.as_delta();
            if due <= ctx.now && due < self.expires_at {
                return match ctx.users.consent.decide {
                    Decide::Approve => self.decide(true),
                    Decide::Decline => self.decide(false),
                    Decide::Ignore => None,
                };
            }
        }
        if ctx.now >= self.expires_at {
            self.status = Status::Expired;
            self.page_token = None;
            return Some("consent.expired");
        }
        None
    }

    pub(super) fn decide(&mut self, approve: bool) -> Option<&'static str> {
        self.page_token = None;
        if approve {
            self.status = Status::Approved;
            Some("consent.approved")
        } else {
            self.status = Status::Declined;
            Some("consent.declined")
        }
    }
}

/// The action a consent guards: its key, a fingerprint of its request, its
/// scope, and whether it may run only once (a payment's `request_id`).
#[derive(Debug)]
pub(crate) struct Guarded {
    pub(crate) key: String,
    pub(crate) fingerprint: u64,
    pub(crate) once: bool,
    pub(crate) scope: &'static str,
}

/// What a guarded action may do now.
#[derive(Debug)]
pub(crate) enum Gate {
    /// Needs consent: answer 412 with this consent.
    Consent(ConsentView),
    /// Approved: perform the action, now and only now.
    Proceed,
    Declined(String),
    /// A payment whose `request_id` was already executed, or reused for
    /// another payment.
    Duplicate,
    /// The store is full of live consents.
    Full(Full),
}

/// Why a refresh token was not exchanged.
#[derive(Debug)]
pub(crate) enum RefreshError {
    Refused(&'static str),
    Full(Full),
}
