//! Payment runs: created `QUEUED`, validated at once into
//! `PENDING_CONFIRMATION`, confirmed into `PENDING_CHALLENGE`, and through
//! their own SCA challenge (the simulator path, as on Weavr's sandbox) into
//! `PENDING_FUNDING`, where the sandbox stops.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::challenge::Challenge;
use super::error::{InvalidFields, WeavrError};
use super::model::{credentials_id, identity_id, Listing, Page, PaymentView, RunView};
use super::session::sms;
use super::store::SessionMut;
use crate::outbox::SmsDraft;

/// Where a run is in its lifecycle (the description's `status` enum, of
/// which the sandbox plays these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum RunStatus {
    Queued,
    PendingConfirmation,
    PendingChallenge,
    PendingFunding,
    ScaFailed,
}

impl RunStatus {
    /// The description's whole enum, which a filter may name.
    pub(crate) const ALL_NAMES: &'static [&'static str] = &[
        "QUEUED",
        "CANCELLED",
        "COMPLETED",
        "COMPLETED_WITH_ERRORS",
        "EXECUTING",
        "INVALID",
        "PENDING_CHALLENGE",
        "PENDING_CONFIRMATION",
        "PENDING_FUNDING",
        "SCA_FAILED",
    ];

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "QUEUED" => Self::Queued,
            "PENDING_CONFIRMATION" => Self::PendingConfirmation,
            "PENDING_CHALLENGE" => Self::PendingChallenge,
            "PENDING_FUNDING" => Self::PendingFunding,
            "SCA_FAILED" => Self::ScaFailed,
            _ => return None,
        })
    }

    /// Whether the run reached the end of what the sandbox plays.
    fn finished(self) -> bool {
        matches!(self, Self::PendingFunding | Self::ScaFailed)
    }
}

/// A payment run, with the challenge that authorises it.
#[derive(Debug)]
pub(crate) struct PaymentRun {
    pub(crate) id: String,
    pub(crate) owner: usize,
    pub(crate) status: RunStatus,
    /// The validated request, echoed in every answer.
    pub(crate) request: Value,
    pub(crate) created_at: DateTime<Utc>,
    seq: u64,
    pub(super) sca: Option<Challenge>,
}

impl RunView {
    pub(crate) fn id(&self) -> &str {
        &self.id
    }
}

impl PaymentRun {
    /// The answer for this run, as if it were in `status`.
    pub(crate) fn view_as(&self, status: RunStatus) -> RunView {
        let payments = self.request["payments"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let mut request = p.as_object().cloned().unwrap_or_default();
                        request.remove("id");
                        request.remove("status");
                        PaymentView {
                            request,
                            id: format!("{}{:02}", &self.id[..22], i % 100),
                            status,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        RunView {
            id: self.id.clone(),
            payment_run_ref: self.request.get("paymentRunRef").cloned(),
            tag: self.request.get("tag").cloned(),
            description: self.request.get("description").cloned(),
            status,
            payments,
            buyer_id: identity_id(self.owner),
            created_by: credentials_id(self.owner),
            created_at: crate::timefmt::millis(&self.created_at),
        }
    }

    pub(crate) fn view(&self) -> RunView {
        self.view_as(self.status)
    }
}

/// `GET /v1/payment_runs`'s filters.
#[derive(Debug, Default)]
pub(crate) struct RunFilter {
    pub(crate) status: Option<RunStatus>,
    pub(crate) tags: Vec<String>,
}

impl SessionMut<'_> {
    /// A new run. Validation is instant here, so the run answers `QUEUED`
    /// and is `PENDING_CONFIRMATION` from then on. At the cap, runs that
    /// reached the end of what the sandbox plays make room.
    pub(crate) fn create_run(&mut self, request: Value) -> Result<RunView, WeavrError> {
        let c = self.ctx;
        let forgotten = self
            .data
            .runs
            .make_room(c.cap, |r| r.status.finished())
            .map_err(WeavrError::too_many)?;
        if let Some((id, run)) = forgotten {
            if let Some(mine) = self.data.runs_owned.get_mut(&run.owner) {
                mine.swap_remove(&id);
            }
        }
        let id = c.ids.hex(24);
        self.data.seq += 1;
        let run = PaymentRun {
            id: id.clone(),
            owner: self.user_index,
            status: RunStatus::PendingConfirmation,
            request,
            created_at: c.now,
            seq: self.data.seq,
            sca: None,
        };
        let view = run.view_as(RunStatus::Queued);
        let owned = self.data.runs_owned.entry(self.user_index).or_default();
        owned.insert(id.clone());
        self.data.runs.insert(id, run);
        Ok(view)
    }

    pub(crate) fn run(&self, id: &str) -> Result<&PaymentRun, WeavrError> {
        self.data
            .runs
            .get(id)
            .filter(|r| r.owner == self.user_index)
            .ok_or_else(|| WeavrError::not_found("Payment run"))
    }

    /// This buyer's runs, oldest first, one page of them: found through the
    /// user's own index, never the whole store.
    pub(crate) fn runs(&self, filter: &RunFilter, page: Page) -> Listing<RunView> {
        let mine = self.data.runs_owned.get(&self.user_index);
        let mut runs: Vec<&PaymentRun> = mine
            .into_iter()
            .flatten()
            .filter_map(|id| self.data.runs.get(id))
            .filter(|r| filter.status.is_none_or(|s| r.status == s))
            .filter(|r| {
                filter.tags.is_empty()
                    || r.request["tag"]
                        .as_str()
                        .is_some_and(|t| filter.tags.iter().any(|f| f == t))
            })
            .collect();
        runs.sort_by_key(|r| r.seq);
        let views: Vec<RunView> = page.of(&runs).iter().map(|r| r.view()).collect();
        Listing {
            key: "paymentRuns",
            items: views,
            count: runs.len(),
        }
    }

    /// Confirms a run: it now waits for its SCA challenge.
    pub(crate) fn confirm_run(&mut self, id: &str) -> Result<RunView, WeavrError> {
        let run = self.run_mut(id)?;
        if run.status != RunStatus::PendingConfirmation {
            return Err(WeavrError::conflict("PAYMENT_RUN_ALREADY_CONFIRMED"));
        }
        run.status = RunStatus::PendingChallenge;
        Ok(run.view())
    }

    /// One of this user's runs, to change.
    fn run_mut(&mut self, id: &str) -> Result<&mut PaymentRun, WeavrError> {
        let owner = self.user_index;
        self.data
            .runs
            .get_mut(id)
            .filter(|r| r.owner == owner)
            .ok_or_else(|| WeavrError::not_found("Payment run"))
    }

    /// Sends the payment run's SCA code (the sandbox simulator's path).
    pub(crate) fn issue_run_sca(&mut self, id: &str) -> Result<SmsDraft, WeavrError> {
        let c = self.ctx;
        let mobile = self.mobile()?;
        let run = self.run_mut(id)?;
        if run.status != RunStatus::PendingChallenge {
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
                run.status = RunStatus::PendingFunding;
                run.sca = None;
                Ok(())
            }
            Err(e) if e.error_code() == Some("VERIFICATION_CODE_INVALID") => Err(
                WeavrError::conflict("PAYMENT_RUN_SCA_CHALLENGE_VERIFY_FAILED"),
            ),
            Err(e) => {
                if e.error_code() == Some("CHALLENGE_LIMIT_EXCEEDED") {
                    run.status = RunStatus::ScaFailed;
                }
                Err(e)
            }
        }
    }
}

/// Checks a payment run as the Payment Run spec's schema does, collecting
/// every invalid field.
pub(crate) fn check_payment_run(body: &Value) -> Result<(), WeavrError> {
    let mut bad = InvalidFields::default();
    match body.get("payments").and_then(Value::as_array) {
        None => bad.flag("payments", "REQUIRED", &[]),
        Some(payments) if payments.is_empty() || payments.len() > 1000 => {
            bad.flag("payments", "SIZE", &["1", "1000"])
        }
        Some(payments) => {
            for (i, p) in payments.iter().enumerate() {
                let at = |name: &str| format!("payments[{i}].{name}");
                let amount = &p["paymentAmount"];
                if !matches!(amount["currency"].as_str(), Some("GBP" | "EUR")) {
                    bad.flag(at("paymentAmount.currency"), "IN", &["GBP", "EUR"]);
                }
                if amount["amount"].as_i64().is_none_or(|a| a < 1) {
                    bad.flag(at("paymentAmount.amount"), "RANGE", &["1"]);
                }
                match p["reference"].as_str() {
                    None => bad.flag(at("reference"), "REQUIRED", &[]),
                    Some(r) if r.is_empty() || r.len() > 18 => {
                        bad.flag(at("reference"), "SIZE", &["1", "18"])
                    }
                    Some(r)
                        if !r
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') =>
                    {
                        bad.flag(at("reference"), "REGEX", &["^[0-9a-zA-Z.-]{1,18}$"])
                    }
                    Some(_) => {}
                }
                let supplier = &p["supplier"];
                match supplier["name"].as_str() {
                    Some(n) => bad.size(&at("supplier.name"), n, 1, 140),
                    None => bad.flag(at("supplier.name"), "REQUIRED", &[]),
                }
                let details = at("supplier.bankAccountDetails");
                if !bad.bank_details(supplier["bankAccountDetails"].as_object(), &details) {
                    bad.flag(details, "REQUIRED", &["iban", "accountNumber+sortCode"]);
                }
            }
        }
    }
    bad.done()
}

#[cfg(test)]
#[path = "runs_tests.rs"]
mod tests;
