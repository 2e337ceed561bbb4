//! How a challenge ends: a push the user answers on the phone or lets
//! expire, or an OTP challenge verified or used up. The transactions it
//! covers move, a push step-up steps its token up, and each move is noted
//! for the webhooks.

use chrono::{DateTime, Utc};

use super::config::{PushDecision, User};
use super::error::WeavrError;
use super::sca::{Factor, Outcome, Target};
use super::store::{Ctx, Inner, StepUp};
use super::transfers::{Kind, State};
use super::webhooks;

/// Ends a challenge: the transactions still pointing at it move (approved:
/// they execute; rejected: `on_reject`), and an approved push step-up steps
/// its token up. Expiry leaves transactions waiting for a new challenge.
/// Each move is noted for the webhooks.
pub(crate) fn settle(
    data: &mut super::store::Data,
    sca_id: &str,
    outcome: Outcome,
    on_reject: State,
    now_ms: i64,
) {
    data.pushes.remove(sca_id);
    let Some(sca) = data.scas.remove(sca_id) else {
        return;
    };
    if let Target::Transfers(kind, ids) = &sca.target {
        for id in ids {
            let Some(t) = data.transfers.get_mut(id) else {
                continue;
            };
            if t.challenge.as_deref() != Some(sca_id) || t.state != State::PendingChallenge {
                continue;
            }
            t.challenge = None;
            t.state = match (outcome, kind) {
                (Outcome::Approved, Kind::Send) => State::Completed,
                (Outcome::Approved, Kind::Owt) => State::Submitted,
                (Outcome::Rejected, _) => on_reject,
                (Outcome::Expired, _) => State::PendingChallenge,
            };
            if outcome != Outcome::Expired {
                data.hooks.note(|| webhooks::transfer(t, now_ms));
            }
        }
    }
}

/// Settles a push challenge: the user's answer on the phone, or its expiry.
/// A step-up push approves its token if the token still lives.
pub(crate) fn decide_push(
    inner: &mut Inner,
    users: &[User],
    sca_id: &str,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), WeavrError> {
    let Some(sca) = inner.data.scas.get(sca_id) else {
        return Err(WeavrError::not_found("Challenge"));
    };
    let Factor::Push { channel, .. } = sca.factor else {
        return Err(WeavrError::not_found("Challenge"));
    };
    if matches!(sca.target, Target::StepUp(_)) {
        let admin = users.get(sca.owner).is_some_and(|u| u.role == "ADMIN");
        let owner = sca.owner;
        inner
            .data
            .hooks
            .note(|| webhooks::stepup(sca_id, owner, admin, channel, outcome));
    }
    if let Target::StepUp(token) = &sca.target {
        if let Some(t) = inner.tokens.get_mut(token) {
            if t.push.as_deref() == Some(sca_id) {
                t.push = None;
                if outcome == Outcome::Approved {
                    t.step_up = StepUp::SteppedUp;
                }
            }
        }
    }
    settle(
        &mut inner.data,
        sca_id,
        outcome,
        State::Rejected,
        now.timestamp_millis(),
    );
    Ok(())
}

/// Push challenges that expired, or that the simulated user answers now.
pub(crate) fn settle_due(inner: &mut Inner, users: &[User], ctx: Ctx<'_>) {
    let data = &inner.data;
    let due: Vec<(String, Outcome)> = data
        .pushes
        .iter()
        .filter_map(|id| data.scas.get(id))
        .filter_map(|s| match &s.factor {
            Factor::Push { expires_at, .. } if *expires_at <= ctx.now => {
                Some((s.id.clone(), Outcome::Expired))
            }
            Factor::Push {
                decide_at: Some((at, decision)),
                ..
            } if *at <= ctx.now => Some((
                s.id.clone(),
                if *decision == PushDecision::Approve {
                    Outcome::Approved
                } else {
                    Outcome::Rejected
                },
            )),
            Factor::Otp(_) | Factor::Push { .. } => None,
        })
        .collect();
    for (id, outcome) in due {
        if decide_push(inner, users, &id, outcome, ctx.now).is_ok() {
            inner.data.happened.push((id, event_name(outcome)));
        }
    }
}

pub(crate) fn event_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Approved => "push.approved",
        Outcome::Rejected => "push.rejected",
        Outcome::Expired => "push.expired",
    }
}
