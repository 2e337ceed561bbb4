//! One authenticated Weavr request's view of its login: enrolment, step-up
//! challenges, and the payment runs it creates and confirms.

use std::collections::HashMap;

use hyper::StatusCode;
use serde_json::Value;

use super::challenge::Challenge;
use super::config::User;
use super::error::WeavrError;
use super::routes::Profile;
use super::store::{Account, Ctx, PaymentRun, Session, StepUp, Token};
use crate::limits::make_room;
use crate::state::SmsDraft;

/// The mutable view of one authenticated request.
#[derive(Debug)]
pub(crate) struct SessionMut<'a> {
    pub(super) ctx: Ctx<'a>,
    pub(crate) user: &'a User,
    pub(crate) user_index: usize,
    pub(super) token: &'a mut Token,
    pub(super) account: &'a mut Account,
    pub(super) runs: &'a mut HashMap<String, PaymentRun>,
}

impl SessionMut<'_> {
    pub(crate) fn view(&self) -> Session<'_> {
        Session {
            user: self.user,
            user_index: self.user_index,
            step_up: self.token.step_up,
        }
    }

    pub(crate) fn enrolled(&self) -> bool {
        self.account.enrolled
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
                self.token.exhausted = true;
                self.token.challenge = None;
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

    /// Refuses unless the token is stepped up for `what`.
    pub(crate) fn require(&self, for_account_information: bool) -> Result<(), WeavrError> {
        match self.token.step_up {
            StepUp::SteppedUp => Ok(()),
            StepUp::SpentOnTransaction if !for_account_information => Ok(()),
            _ => Err(WeavrError::step_up_required()),
        }
    }

    /// A new run; at the cap, runs that reached the end of what the sandbox
    /// plays (funding, or a failed challenge) make room.
    pub(crate) fn create_run(&mut self, request: Value) -> Result<&PaymentRun, WeavrError> {
        let c = self.ctx;
        make_room(self.runs, c.cap, |r| {
            matches!(r.status, "PENDING_FUNDING" | "SCA_FAILED")
        })
        .map_err(WeavrError::too_many)?;
        let id = c.ids.hex(24);
        let run = PaymentRun {
            id: id.clone(),
            owner: self.user_index,
            status: "PENDING_CONFIRMATION",
            request,
            created_at: c.now,
            sca: None,
        };
        Ok(self.runs.entry(id).or_insert(run))
    }

    pub(crate) fn run(&self, id: &str) -> Result<&PaymentRun, WeavrError> {
        self.runs
            .get(id)
            .filter(|r| r.owner == self.user_index)
            .ok_or_else(|| WeavrError::not_found("Payment run"))
    }

    /// Confirms a run: it now waits for its SCA challenge, and the token's
    /// step-up is spent on this transaction.
    pub(crate) fn confirm_run(&mut self, id: &str) -> Result<&PaymentRun, WeavrError> {
        let run = self.run_mut(id)?;
        if run.status != "PENDING_CONFIRMATION" {
            return Err(WeavrError::conflict("PAYMENT_RUN_ALREADY_CONFIRMED"));
        }
        run.status = "PENDING_CHALLENGE";
        self.token.step_up = StepUp::SpentOnTransaction;
        self.run(id)
    }

    /// One of this user's runs, to change.
    fn run_mut(&mut self, id: &str) -> Result<&mut PaymentRun, WeavrError> {
        let owner = self.user_index;
        self.runs
            .get_mut(id)
            .filter(|r| r.owner == owner)
            .ok_or_else(|| WeavrError::not_found("Payment run"))
    }

    fn mobile(&self) -> Result<String, WeavrError> {
        self.user
            .mobile
            .clone()
            .ok_or_else(|| WeavrError::conflict("MOBILE_NUMBER_INVALID"))
    }

    /// Sends the payment run's SCA code (the sandbox simulator's path).
    pub(crate) fn issue_run_sca(&mut self, id: &str) -> Result<SmsDraft, WeavrError> {
        let c = self.ctx;
        let mobile = self.mobile()?;
        let run = self.run_mut(id)?;
        if run.status != "PENDING_CHALLENGE" {
            return Err(WeavrError::conflict("STATE_INVALID"));
        }
        let challenge = Challenge::issue(c.settings, c.ids, c.now, run.sca.as_ref());
        let sms = sms(mobile, &challenge, "payment_run_sca");
        run.sca = Some(challenge);
        Ok(sms)
    }

    /// Verifies the payment run's SCA code; the run then waits for funding.
    /// The token's step-up is not touched: this SCA is for the transaction.
    pub(crate) fn verify_run_sca(&mut self, id: &str, code: &str) -> Result<(), WeavrError> {
        let c = self.ctx;
        let run = self.run_mut(id)?;
        let challenge = run
            .sca
            .as_mut()
            .ok_or_else(|| WeavrError::conflict("STATE_INVALID"))?;
        match challenge.verify(c.settings, c.now, code) {
            Ok(()) => {
                run.status = "PENDING_FUNDING";
                run.sca = None;
                Ok(())
            }
            Err(WeavrError::Code {
                error_code: "VERIFICATION_CODE_INVALID",
                ..
            }) => Err(WeavrError::conflict(
                "PAYMENT_RUN_SCA_CHALLENGE_VERIFY_FAILED",
            )),
            Err(other) => {
                if matches!(
                    other,
                    WeavrError::Code {
                        error_code: "CHALLENGE_LIMIT_EXCEEDED",
                        ..
                    }
                ) {
                    run.status = "SCA_FAILED";
                }
                Err(other)
            }
        }
    }
}

fn sms(to: String, challenge: &Challenge, purpose: &str) -> SmsDraft {
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
