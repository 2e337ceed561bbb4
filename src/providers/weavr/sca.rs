//! Multi's transaction confirmation and push step-up. A challenge covers
//! one or more transactions (the per-transaction form covers one), by OTP
//! over SMS or by a push notification the user approves or rejects on the
//! phone. Only a transaction's newest challenge counts; a verified one
//! moves every transaction it covers, and never steps a token up.

use chrono::{DateTime, Utc};

use super::challenge::Challenge;
use super::config::{PushChannel, PushDecision};
use super::error::WeavrError;
use super::push::settle;
use super::session::sms;
use super::store::SessionMut;
use super::transfers::{Kind, State};
use crate::outbox::SmsDraft;

/// What a challenge confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A push step-up of this token.
    StepUp(Box<str>),
    /// Transactions of one kind, by id.
    Transfers(Kind, Vec<String>),
}

#[derive(Debug)]
pub(crate) enum Factor {
    Otp(Challenge),
    Push {
        channel: PushChannel,
        expires_at: DateTime<Utc>,
        /// When the scenario's simulated user answers, and how.
        decide_at: Option<(DateTime<Utc>, PushDecision)>,
    },
}

#[derive(Debug)]
pub(crate) struct Sca {
    pub(crate) id: String,
    pub(crate) owner: usize,
    pub(crate) target: Target,
    pub(crate) factor: Factor,
}

/// How long an expired OTP challenge is remembered, so that a late code is
/// still told it expired.
const KEEP_EXPIRED: chrono::TimeDelta = chrono::TimeDelta::hours(1);

impl Sca {
    /// Whether its code or its push no longer works at `now`.
    fn expired(&self, now: DateTime<Utc>) -> bool {
        match &self.factor {
            Factor::Otp(challenge) => challenge.expires_at() <= now,
            Factor::Push { expires_at, .. } => *expires_at <= now,
        }
    }
}

/// Forgets OTP challenges an hour after they expired (pushes are settled
/// when they expire).
pub(crate) fn forget_expired(data: &mut super::store::Data, now: DateTime<Utc>) {
    data.scas.retain(|_, s| match &s.factor {
        Factor::Otp(challenge) => now < challenge.expires_at() + KEEP_EXPIRED,
        Factor::Push { .. } => true,
    });
}

/// How a push challenge ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Approved,
    Rejected,
    Expired,
}

impl SessionMut<'_> {
    /// The transactions a challenge is asked for: this user's, of `kind`,
    /// each waiting for its challenge.
    fn pending(&self, kind: Kind, ids: &[String], missing: WeavrError) -> Result<(), WeavrError> {
        for id in ids {
            let t = self.transfer(kind, id).map_err(|_| missing.clone())?;
            if t.state != State::PendingChallenge {
                return Err(WeavrError::conflict("STATE_INVALID"));
            }
        }
        Ok(())
    }

    fn new_id(&self) -> String {
        loop {
            let id = format!("1{}", self.ctx.ids.digits(17));
            if !self.data.scas.contains_key(&id) {
                return id;
            }
        }
    }

    /// Points each transaction at its new challenge, forgetting challenges
    /// that no transaction points at any more.
    fn attach(&mut self, sca: Sca) -> String {
        let id = sca.id.clone();
        if let Target::Transfers(_, ids) = &sca.target {
            for t in ids {
                if let Some(t) = self.data.transfers.get_mut(t) {
                    if let Some(old) = t.challenge.replace(id.clone()) {
                        let transfers = &self.data.transfers;
                        let orphan = self.data.scas.get(&old).is_none_or(|s| match &s.target {
                            Target::Transfers(_, ids) => ids.iter().all(|i| {
                                transfers
                                    .get(i)
                                    .is_none_or(|t| t.challenge.as_ref() != Some(&old))
                            }),
                            Target::StepUp(_) => false,
                        });
                        if orphan {
                            self.data.scas.remove(&old);
                            self.data.pushes.remove(&old);
                        }
                    }
                }
            }
        }
        if matches!(sca.factor, Factor::Push { .. }) {
            self.data.pushes.insert(id.clone());
        }
        self.data.scas.insert(id.clone(), sca);
        id
    }

    /// Room for one more challenge: at the cap, those whose code or push
    /// has expired go first.
    fn room_for_a_challenge(&mut self) -> Result<(), WeavrError> {
        let now = self.ctx.now;
        let forgotten = self
            .data
            .scas
            .make_room(self.ctx.cap, |s| s.expired(now))
            .map_err(WeavrError::too_many)?;
        if let Some((id, _)) = forgotten {
            self.data.pushes.remove(&id);
        }
        Ok(())
    }

    /// Sends an OTP for transactions. `paced` (the batch challenge, whose
    /// description declares `RETRY_IN_15SEC` and `CHALLENGE_LIMIT_EXCEEDED`)
    /// keeps the step-up's rules: a new SMS 15 s or more after the last, and
    /// one retry. A single send's or wire transfer's challenge declares
    /// neither, so it may be asked again at any time, and supersedes the last.
    pub(crate) fn issue_tx_otp(
        &mut self,
        kind: Kind,
        ids: Vec<String>,
        paced: bool,
    ) -> Result<(String, SmsDraft), WeavrError> {
        // Not this user's, or not waiting: both declared as `STATE_INVALID`.
        let missing = WeavrError::conflict("STATE_INVALID");
        self.pending(kind, &ids, missing)?;
        if !self.account.enrolled {
            return Err(WeavrError::conflict("CHANNEL_NOT_REGISTERED"));
        }
        self.room_for_a_challenge()?;
        let c = self.ctx;
        for id in ids.iter().filter(|_| paced) {
            let t = &self.data.transfers[id];
            if t.otp_sent_at
                .is_some_and(|at| c.now < at + c.settings.retry_after.as_delta())
            {
                return Err(WeavrError::conflict("RETRY_IN_15SEC"));
            }
            if t.otp_sends > c.settings.max_retries {
                return Err(WeavrError::conflict("CHALLENGE_LIMIT_EXCEEDED"));
            }
        }
        let mobile = self.mobile()?;
        for id in &ids {
            if let Some(t) = self.data.transfers.get_mut(id) {
                t.otp_sent_at = Some(c.now);
                t.otp_sends += 1;
            }
        }
        let challenge = Challenge::issue(c.settings, c.ids, c.now, None);
        let sms = sms(mobile, &challenge, kind.name());
        let sca = Sca {
            id: self.new_id(),
            owner: self.user_index,
            target: Target::Transfers(kind, ids),
            factor: Factor::Otp(challenge),
        };
        Ok((self.attach(sca), sms))
    }

    /// The challenge now confirming one transaction.
    pub(crate) fn challenge_of(&self, kind: Kind, id: &str) -> Result<String, WeavrError> {
        let t = self.transfer(kind, id)?;
        match (&t.challenge, t.state) {
            (Some(c), State::PendingChallenge) => Ok(c.clone()),
            _ => Err(WeavrError::conflict("STATE_INVALID")),
        }
    }

    /// Verifies an OTP challenge; its transactions then execute.
    pub(crate) fn verify_tx_otp(&mut self, sca_id: &str, code: &str) -> Result<(), WeavrError> {
        let c = self.ctx;
        let state_invalid = || WeavrError::conflict("STATE_INVALID");
        let sca = self
            .data
            .scas
            .get_mut(sca_id)
            .filter(|s| s.owner == self.user_index)
            .ok_or_else(state_invalid)?;
        let Target::Transfers(_, ids) = &sca.target else {
            return Err(state_invalid());
        };
        let transfers = &self.data.transfers;
        let live = ids.iter().all(|i| {
            transfers.get(i).is_some_and(|t| {
                t.state == State::PendingChallenge && t.challenge.as_deref() == Some(sca_id)
            })
        });
        let Factor::Otp(challenge) = &mut sca.factor else {
            return Err(state_invalid());
        };
        if !live {
            return Err(state_invalid());
        }
        let outcome = match challenge.verify(c.settings, c.now, code) {
            Ok(()) => Outcome::Approved,
            Err(e) if e.error_code() == Some("CHALLENGE_LIMIT_EXCEEDED") => {
                settle(
                    self.data,
                    sca_id,
                    Outcome::Rejected,
                    State::Failed,
                    c.now.timestamp_millis(),
                );
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        settle(
            self.data,
            sca_id,
            outcome,
            State::Failed,
            c.now.timestamp_millis(),
        );
        Ok(())
    }

    /// Sends a push notification, for a step-up or for transactions.
    pub(crate) fn issue_push(
        &mut self,
        channel: &str,
        target: Target,
    ) -> Result<String, WeavrError> {
        let channel = PushChannel::parse(channel)
            .ok_or_else(|| WeavrError::conflict("CHANNEL_NOT_SUPPORTED"))?;
        if self.user.push != Some(channel) {
            return Err(WeavrError::conflict("CHANNEL_NOT_REGISTERED"));
        }
        match &target {
            Target::Transfers(kind, ids) => {
                self.pending(*kind, ids, WeavrError::conflict("STATE_INVALID"))?
            }
            Target::StepUp(_) => {
                if self
                    .token
                    .push
                    .as_ref()
                    .is_some_and(|p| self.data.scas.contains_key(p))
                {
                    return Err(WeavrError::conflict("STATE_INVALID"));
                }
            }
        }
        self.room_for_a_challenge()?;
        let c = self.ctx;
        let user = &c.users.push;
        let decide_at = (user.decide != PushDecision::Ignore).then(|| {
            (
                c.now + user.after.map(|a| a.as_delta()).unwrap_or_default(),
                user.decide,
            )
        });
        let sca = Sca {
            id: self.new_id(),
            owner: self.user_index,
            target,
            factor: Factor::Push {
                channel,
                expires_at: c.now + c.settings.challenge_ttl.as_delta(),
                decide_at,
            },
        };
        let step_up = matches!(sca.target, Target::StepUp(_));
        let id = self.attach(sca);
        if step_up {
            self.token.push = Some(id.clone());
        }
        Ok(id)
    }
}
