//! Thredd's delegated SMS: with `settings.thredd.delegated_otp_url` set, the
//! OTP of the SMS fallback is not texted by Thredd. It goes to the program
//! manager in a DelegatedOTPNotification, signed (`X-Thredd-Signature`), and
//! the PM texts it; the PM acknowledges with a 200 within 10 s. The
//! cardholder then types the code as in the plain fallback.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::jwt::notification_signature;
use crate::outbound::{Failure, Target};
use crate::outbox::SmsDraft;
use crate::providers::{Provider, World};

/// How long the PM has to acknowledge, as Thredd's delegated SMS guide says.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Sends the fallback's code: to the cardholder, or to the PM when the
/// scenario delegates the SMS.
pub(crate) fn hand_over(world: &World, session: &str, sms: SmsDraft) {
    let Some(url) = world.settings().thredd.delegated_otp_url.clone() else {
        world.send_sms(sms);
        return;
    };
    let request = world
        .stores()
        .thredd
        .session(world.now(), session)
        .map(|(view, _)| view.notify_initiate_action)
        .unwrap_or_default();
    let body = notification(session, &request, &sms);
    match world.shared() {
        Some(world) => {
            tokio::spawn(deliver(world, session.to_owned(), url, body));
        }
        None => {
            world.send_sms(sms);
        }
    }
}

/// The notification: the session's card, merchant and transaction as
/// NotifyInitiateAction gave them, the credential (OTPSMS, the number), and
/// the code with the text to send.
fn notification(session: &str, request: &Value, sms: &SmsDraft) -> Value {
    json!({
        "Pubtoken": request["Pubtoken"],
        "DelegatedOtpId": session,
        "MessageVersion3DS": request["MessageVersion3DS"],
        "Credential": {
            "Id": request["Credential"]["Id"],
            "Type": "OTPSMS",
            "Text": sms.to,
        },
        "MerchantInfo": request["MerchantInfo"],
        "TransactionInfo": request["TransactionInfo"],
        "Passcode": sms.code,
        "MobileNumber": sms.to,
        "MessageContent": sms.text,
    })
}

async fn deliver(world: Arc<World>, session: String, url: String, body: Value) {
    let payload = body.to_string();
    let outcome = match (
        Target::parse(&url),
        notification_signature(payload.as_bytes()),
    ) {
        (Some(target), Some(signature)) => {
            let headers = [("x-thredd-signature", signature.as_str())];
            let limit = world.settings().limits.outbound_answer.get();
            let trusted = world.settings().thredd.trusted();
            let send = crate::outbound::post_json(&target, &headers, payload, &trusted, limit);
            let due = world.now() + chrono::TimeDelta::from_std(ANSWER_WITHIN).unwrap_or_default();
            let late = || Err(Failure::Other("no 200 within 10s".to_owned()));
            tokio::select! {
                result = send => result.map(|answer| answer.status),
                _ = tokio::time::sleep(ANSWER_WITHIN) => late(),
                _ = world.clock().sleep_until(due) => late(),
            }
        }
        (None, _) => Err(Failure::Other(
            "delegated_otp_url must be an http:// or https:// URL".to_owned(),
        )),
        (_, None) => Err(Failure::Other("the signing key is unusable".to_owned())),
    };
    let (kind, data) = match outcome {
        Ok(200) => ("thredd.delegated_otp.sent", json!({ "status": 200 })),
        Ok(status) => (
            "thredd.delegated_otp.failed",
            json!({ "status": status, "error": format!("the PM answered {status}, not 200") }),
        ),
        Err(e) => (
            "thredd.delegated_otp.failed",
            json!({ "error": e.to_string() }),
        ),
    };
    world.emit(Provider::Thredd, kind, session, world.now(), data);
}
