//! Multi's transaction confirmation: sends and outgoing wire transfers,
//! their OTP and push challenges in the per-transaction and the batch form,
//! the push step-up, and the Simulator's verdicts on a push.

use hyper::StatusCode;
use serde::Deserialize;

use super::error::WeavrError;
use super::handlers::{emit, ok, session, sms_channel, verification_code, verified, Result};
use super::model::{credentials_id, ChallengeId, ScaChallengeId, SimulatorOutcome};
use super::routes::{Profile, Route};
use super::sca::{Outcome, Target};
use super::transfers::{Body, Kind, OwtCreate, SendCreate};
use crate::http::{self, Request, Response};
use crate::providers::World;

/// `POST /challenges/otp|push/{channel}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Batch {
    resource_type: String,
    resource_ids: Vec<String>,
}

pub(super) fn handle(route: Route, req: &Request, world: &World) -> Result<Response> {
    match route {
        Route::CreateTransfer(kind) => {
            let body = match kind {
                Kind::Send => Body::Send(req.json::<SendCreate>()?),
                Kind::Owt => Body::Owt(req.json::<OwtCreate>()?),
            };
            body.check()?;
            let (id, view) = multi(req, world, |s| s.create_transfer(body))?;
            let event = match kind {
                Kind::Send => "send.created",
                Kind::Owt => "outgoing_wire_transfer.created",
            };
            emit(world, event, id);
            Ok(ok(&view))
        }
        Route::ListTransfers(kind) => {
            let page = super::model::Page::of_query(req)?;
            let filter = super::listing::TxFilter::of_query(req, kind)?;
            multi(req, world, |s| {
                // Transactions are account information: the token's step-up.
                s.require_step_up()?;
                Ok(ok(&s.transfers(kind, &filter, page)))
            })
        }
        Route::CancelTransfer(kind, id) => multi(req, world, |s| {
            s.cancel_transfer(kind, &id)?;
            Ok(ok(&s.transfer(kind, &id)?.view()))
        }),
        Route::GetTransfer(kind, id) => multi(req, world, |s| {
            // A transaction is account information: the token's own step-up.
            s.require_step_up()?;
            Ok(ok(&s.transfer(kind, &id)?.view()))
        }),
        Route::IssueTxOtp(kind, id, channel) => {
            sms_channel(&channel)?;
            let (_, sms) = multi(req, world, |s| {
                // The description declares no 404 here: a send that is not
                // this user's to confirm is not in a state to be challenged.
                s.issue_tx_otp(kind, vec![id], false)
            })?;
            world.send_sms(sms);
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::VerifyTxOtp(kind, id, channel) => {
            sms_channel(&channel)?;
            let code = verification_code(req)?;
            multi(req, world, |s| {
                let sca = s.challenge_of(kind, &id)?;
                s.verify_tx_otp(&sca, &code)
            })?;
            verified(world, kind.name());
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::IssueTxPush(kind, id, channel) => {
            multi(req, world, |s| {
                s.issue_push(&channel, Target::Transfers(kind, vec![id]))
            })?;
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::IssueBatchOtp(channel) => {
            sms_channel(&channel)?;
            let (kind, ids) = batch(req)?;
            let (id, sms) = multi(req, world, |s| s.issue_tx_otp(kind, ids, true))?;
            world.send_sms(sms);
            Ok(ok(&ScaChallengeId {
                sca_challenge_id: id,
            }))
        }
        Route::VerifyBatchOtp(sca_id, channel) => {
            sms_channel(&channel)?;
            // The description requires `resourceType` beside the code.
            let body: super::model::Verify = req.json()?;
            match body.resource_type.as_deref() {
                None => return Err(WeavrError::field("resourceType", "REQUIRED", &[])),
                Some(kind) if !RESOURCE_TYPES.contains(&kind) => {
                    return Err(WeavrError::field("resourceType", "IN", &RESOURCE_TYPES))
                }
                Some(_) => {}
            }
            let code = verification_code(req)?;
            multi(req, world, |s| s.verify_tx_otp(&sca_id, &code))?;
            verified(world, "challenges");
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        Route::IssueBatchPush(channel) => {
            let (kind, ids) = batch(req)?;
            let id = multi(req, world, |s| {
                s.issue_push(&channel, Target::Transfers(kind, ids))
            })?;
            Ok(ok(&ScaChallengeId {
                sca_challenge_id: id,
            }))
        }
        Route::IssueStepUpPush(channel) => {
            let id = multi(req, world, |s| {
                let token = s.token_key.into();
                s.issue_push(&channel, Target::StepUp(token))
            })?;
            Ok(ok(&ChallengeId { id }))
        }
        Route::SimulateChallenge(credentials, id, outcome) => {
            simulate(req, world, &credentials, &id, outcome)
        }
        // The rest are served in `handlers`.
        _ => Err(WeavrError::not_found("Operation")),
    }
}

fn multi<R>(
    req: &Request,
    world: &World,
    f: impl FnOnce(&mut super::store::SessionMut<'_>) -> Result<R>,
) -> Result<R> {
    session(req, world, Profile::Multi, f)
}

/// The description's `MultipleSCAResourceType`.
const RESOURCE_TYPES: [&str; 4] = [
    "outgoing_wire_transfers",
    "sends",
    "linked_account_declaration",
    "correspondent_bank_transfers",
];

/// The resources of a batch challenge: one kind the sandbox plays, 1 to 100
/// numeric ids.
fn batch(req: &Request) -> Result<(Kind, Vec<String>)> {
    let body: Batch = req.json()?;
    let kind = match body.resource_type.as_str() {
        "linked_account_declaration" | "correspondent_bank_transfers" => {
            return Err(WeavrError::conflict("CHANNEL_NOT_SUPPORTED"))
        }
        other => Kind::parse(other)
            .ok_or_else(|| WeavrError::field("resourceType", "IN", &RESOURCE_TYPES))?,
    };
    let mut ids = body.resource_ids;
    if ids.is_empty() || ids.len() > 100 {
        return Err(WeavrError::field("resourceIds", "SIZE", &["1", "100"]));
    }
    if ids
        .iter()
        .any(|i| i.is_empty() || !i.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(WeavrError::field("resourceIds", "REGEX", &["^[0-9]{1,}$"]));
    }
    ids.sort();
    ids.dedup();
    Ok((kind, ids))
}

/// The Simulator settles a push challenge as the user would: it answers
/// `COMPLETED` when the challenge is approved, `DENIED` otherwise. It takes
/// the auth token of the challenge's user, whose credentials are in the path.
fn simulate(
    req: &Request,
    world: &World,
    credentials: &str,
    id: &str,
    outcome: Outcome,
) -> Result<Response> {
    let owner = session(req, world, Profile::Multi, |s| Ok(s.user_index))?;
    if credentials != credentials_id(owner) {
        return Err(WeavrError::simulator(
            StatusCode::NOT_FOUND,
            "Credentials not found",
        ));
    }
    let store = &world.stores().weavr;
    store
        .settle_push(Some(owner), id, outcome, world.now())
        .map_err(|_| {
            WeavrError::simulator(
                StatusCode::NOT_FOUND,
                "No pending push challenge with this id",
            )
        })?;
    emit(world, super::push::event_name(outcome), id.to_owned());
    let code = if outcome == Outcome::Approved {
        "COMPLETED"
    } else {
        "DENIED"
    };
    Ok(ok(&SimulatorOutcome { code }))
}
