//! One authenticated Weavr request's view of its login: enrolment and
//! step-up challenges. What it creates (runs, transactions, users) lives in
//! its own module, on the same view.

use hyper::StatusCode;

use super::challenge::Challenge;
use super::config::User;
use super::error::WeavrError;
use super::routes::Profile;
use super::store::{Account, Ctx, Data, Session, StepUp, Token};
use crate::outbox::SmsDraft;

/// The mutable view of one authenticated request.
#[derive(Debug)]
pub(crate) struct SessionMut<'a> {
    pub(super) ctx: Ctx<'a>,
    pub(crate) user: &'a User,
    pub(crate) user_index: usize,
    /// Every fixture user, whose emails are taken.
    pub(super) fixtures: &'a [User],
    /// The token as the client sends it, which a push step-up names.
    pub(super) token_key: &'a str,
    pub(super) token: &'a mut Token,
    pub(super) account: &'a mut Account,
    pub(super) data: &'a mut Data,
}

impl SessionMut<'_> {
    pub(crate) fn view(&self) -> Session<'_> {
        Session {
            user: self.user,
            user_index: self.user_index,
            step_up: self.token.step_up,
        }
    }

    /// The SMS factor's state for `GET /authentication_factors`: none until
    /// an enrolment starts.
    pub(crate) fn sms_factor(&self) -> Option<&'static str> {
        if self.account.enrolled {
            Some("ACTIVE")
        } else if self.account.enrolment.is_some() {
            Some("PENDING_VERIFICATION")
        } else {
            None
        }
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
        let user = self.user_index;
        self.data.hooks.note(|| super::webhooks::enrolled(user));
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
                // The refusal issues nothing new; the open challenge's code
                // still works (the guide asks a logout only for a new one).
                self.token.exhausted = true;
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

    /// Refuses unless the token is stepped up: account information, and
    /// the operations whose descriptions answer 403 `STEP_UP_REQUIRED`.
    pub(crate) fn require_step_up(&self) -> Result<(), WeavrError> {
        match self.token.step_up {
            StepUp::SteppedUp => Ok(()),
            StepUp::Standard => Err(WeavrError::step_up_required()),
        }
    }

    pub(super) fn mobile(&self) -> Result<String, WeavrError> {
        self.user
            .mobile
            .clone()
            .ok_or_else(|| WeavrError::conflict("MOBILE_NUMBER_INVALID"))
    }
}

pub(super) fn sms(to: String, challenge: &Challenge, purpose: &str) -> SmsDraft {
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
