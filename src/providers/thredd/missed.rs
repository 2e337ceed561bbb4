//! When NotifyInitiateAction gets no 200 in time: Thredd does not resend it,
//! and the session goes on as `settings.thredd.on_missed_answer` says. Also
//! the OTP SMS fallback that STEPUP and a missed answer share.

use serde_json::Value;

use super::super::config::OnMissedAnswer;
use super::{Card, Ctx, Session, State, Store};
use crate::ids::IdGen;
use crate::outbox::SmsDraft;

/// What a missed answer did to the session, for the timeline.
#[derive(Debug)]
pub(crate) enum Missed {
    /// The session waits for NotifyValidate until its validation timeout.
    Waits,
    /// The authentication failed at once.
    Failed,
    /// The card's OTP SMS fallback took over (the SMS to send).
    FellBack(SmsDraft),
}

/// Hands the session to the card's OTP SMS fallback: the code goes out by
/// SMS and the cardholder types it. Without a fallback number the
/// authentication fails.
pub(crate) fn fall_back(
    session: &mut Session,
    card: Option<&Card>,
    ids: &IdGen,
) -> Option<SmsDraft> {
    let Some(to) = card.and_then(|c| c.fallback_mobile.clone()) else {
        session.state = State::FailWithFeedback;
        return None;
    };
    let code = ids.digits(6);
    session.otp = Some((code.clone(), 0));
    session.state = State::AwaitingOtp;
    Some(SmsDraft {
        provider: "thredd",
        to,
        text: format!("{code} is your code to approve this online payment."),
        code: Some(code),
        purpose: "3ds_otp".to_owned(),
        reference: Some(session.id.clone()),
    })
}

impl Store {
    /// Applies `settings.thredd.on_missed_answer` to a session whose
    /// NotifyInitiateAction got no 200 in time. A session already answered
    /// (NotifyValidate can come before the 200) or over is left alone.
    pub(crate) fn missed_answer(&self, ctx: Ctx<'_>, id: &str) -> Missed {
        let mut inner = self.inner.lock();
        let Some(session) = inner.sessions.get_mut(id) else {
            return Missed::Waits;
        };
        session.settle(ctx.now);
        if session.state != State::AwaitingValidation {
            return Missed::Waits;
        }
        let card = self.cards.get(&session.pubtoken);
        match ctx.settings.on_missed_answer {
            OnMissedAnswer::Wait => Missed::Waits,
            OnMissedAnswer::Fail => {
                session.state = State::FailWithFeedback;
                session.outcome = Some("NOT_ACKNOWLEDGED");
                Missed::Failed
            }
            OnMissedAnswer::Fallback => {
                session.outcome = Some("NOT_ACKNOWLEDGED");
                match fall_back(session, card, ctx.ids) {
                    Some(sms) => Missed::FellBack(sms),
                    None => Missed::Failed,
                }
            }
        }
    }
}

impl Missed {
    /// The timeline event's kind and data.
    pub(crate) fn event(&self) -> Option<(&'static str, Value)> {
        match self {
            Self::Waits => None,
            Self::Failed => Some((
                "thredd.authentication.failed",
                serde_json::json!({"reason": "notify_initiate_action_not_acknowledged"}),
            )),
            Self::FellBack(sms) => Some((
                "thredd.authentication.fallback",
                serde_json::json!({"reason": "notify_initiate_action_not_acknowledged", "to": sms.to}),
            )),
        }
    }
}
