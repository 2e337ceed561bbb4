//! Change requests: a guarded action answers 202 `AUTHORIZATION_REQUIRED`;
//! `authorize` delivers a TAN (SMS or static) or a `string_to_sign`; `confirm`
//! checks it and only then applies the action, returning its result as
//! `response_body`. A wrong TAN or signature fails the request for good.

use super::model::{ActionAnswer, Authorize, ChangeRequestView, Confirm, OpenChangeRequest};
use chrono::{DateTime, Utc};
use hyper::StatusCode;

use super::actions::apply;
pub(crate) use super::actions::Action;
use super::devices;
use super::error::SolarisError;
use super::model::Purpose;
use super::store::{sms_draft, stamp, Ctx, Inner, Store};
use crate::crypto::{self, CryptoError};
use crate::outbox::SmsDraft;
use crate::secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    AuthorizationRequired,
    ConfirmationRequired,
    Completed,
    Failed,
    Expired,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Self::AuthorizationRequired => "AUTHORIZATION_REQUIRED",
            Self::ConfirmationRequired => "CONFIRMATION_REQUIRED",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Expired => "EXPIRED",
        }
    }
}

#[derive(Debug, Clone)]
enum Delivery {
    Tan(String),
    Device {
        device_id: String,
        string_to_sign: String,
    },
}

#[derive(Debug)]
pub(crate) struct ChangeRequest {
    id: String,
    pub(super) person_id: String,
    action: Action,
    status: Status,
    updated_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    delivery: Option<Delivery>,
    result: Option<(u16, ActionAnswer)>,
}

impl ChangeRequest {
    fn view(&self) -> ChangeRequestView {
        let mut view = ChangeRequestView {
            id: self.id.clone(),
            status: self.status.name(),
            updated_at: stamp(&self.updated_at),
            url: None,
            string_to_sign: None,
            response_code: None,
            response_body: None,
        };
        // The path only: the handler makes it absolute with the scheme and
        // host the request came on ([`ChangeRequestView::absolute`]).
        let authorize = || Some(format!("/v1/change_requests/{}/authorize", self.id));
        match self.status {
            Status::AuthorizationRequired => view.url = authorize(),
            // The guide's SMS example carries the link; its device-signing
            // example carries what to sign instead.
            Status::ConfirmationRequired => match &self.delivery {
                Some(Delivery::Device { string_to_sign, .. }) => {
                    view.string_to_sign = Some(string_to_sign.clone());
                }
                _ => view.url = authorize(),
            },
            Status::Completed => {
                if let Some((code, body)) = &self.result {
                    view.response_code = Some(*code);
                    view.response_body = Some(body.clone());
                }
            }
            Status::Failed | Status::Expired => {}
        }
        view
    }

    /// For the dashboard: the request while it can still be authorised or
    /// confirmed, with who and until when.
    pub(crate) fn open_view(&self, now: DateTime<Utc>) -> Option<OpenChangeRequest> {
        let open = matches!(
            self.status,
            Status::AuthorizationRequired | Status::ConfirmationRequired
        );
        (open && now < self.expires_at).then(|| OpenChangeRequest {
            view: self.view(),
            person_id: self.person_id.clone(),
            expires_at: stamp(&self.expires_at),
            summary: self.action.summary(),
        })
    }

    /// Settles expiry; whether the request expired just now.
    pub(crate) fn lapse(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.status;
        self.settle(now);
        before != self.status
    }

    /// Whether no client can act on it any more: done, failed or expired.
    /// Such requests go first when the store is full.
    fn finished(&self, now: DateTime<Utc>) -> bool {
        !matches!(
            self.status,
            Status::AuthorizationRequired | Status::ConfirmationRequired
        ) || now >= self.expires_at
    }

    /// Whether it lapsed before `cutoff`, so the sweeper may forget it.
    pub(crate) fn lapsed_before(&self, cutoff: DateTime<Utc>) -> bool {
        self.expires_at < cutoff
    }

    /// Marks the request expired once its lifetime has passed.
    fn settle(&mut self, now: DateTime<Utc>) {
        let open = matches!(
            self.status,
            Status::AuthorizationRequired | Status::ConfirmationRequired
        );
        if open && now >= self.expires_at {
            self.status = Status::Expired;
            self.updated_at = self.expires_at;
        }
    }

    /// Refuses unless the request can still be authorised or confirmed.
    fn check_open(&self) -> Result<(), SolarisError> {
        match self.status {
            Status::AuthorizationRequired | Status::ConfirmationRequired => Ok(()),
            Status::Expired => Err(SolarisError::unprocessable(
                "The change request has expired",
            )),
            Status::Failed => Err(SolarisError::unprocessable("The change request has failed")),
            Status::Completed => Err(SolarisError::unprocessable(
                "The change request is already completed",
            )),
        }
    }
}

impl Store {
    /// Change requests still waiting for authorisation or confirmation.
    pub(crate) fn open_change_requests(&self, now: DateTime<Utc>) -> Vec<OpenChangeRequest> {
        let inner = self.lock();
        let mut open: Vec<OpenChangeRequest> = inner
            .change_requests
            .values()
            .filter_map(|c| c.open_view(now))
            .collect();
        open.sort_by(|a, b| a.expires_at.cmp(&b.expires_at));
        open
    }

    /// Holds `action` back behind a change request; 403 without a verified
    /// mobile number, as Solaris answers.
    pub(crate) fn hold(
        &self,
        ctx: Ctx<'_>,
        person_id: &str,
        action: Action,
    ) -> Result<ChangeRequestView, SolarisError> {
        let mut inner = self.lock();
        if inner.person(person_id)?.verified_mobile().is_none() {
            return Err(SolarisError::new(
                StatusCode::FORBIDDEN,
                "unauthorized_change_request",
                "Unauthorized Change Request",
                "The person has no verified mobile number to authorize the change with",
            ));
        }
        inner
            .change_requests
            .make_room(ctx.cap, |c| c.finished(ctx.now))
            .map_err(SolarisError::too_many)?;
        let request = ChangeRequest {
            id: ctx.ids.hex(32) + "cr",
            person_id: person_id.to_owned(),
            action,
            status: Status::AuthorizationRequired,
            updated_at: ctx.now,
            expires_at: ctx.now + ctx.settings.change_request_ttl.as_delta(),
            delivery: None,
            result: None,
        };
        let view = request.view();
        inner.change_requests.insert(request.id.clone(), request);
        Ok(view)
    }

    pub(crate) fn change_request(
        &self,
        now: DateTime<Utc>,
        id: &str,
    ) -> Result<ChangeRequestView, SolarisError> {
        let mut inner = self.lock();
        let request = find(&mut inner, id)?;
        request.settle(now);
        Ok(request.view())
    }

    pub(crate) fn authorize(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        body: Authorize,
    ) -> Result<(ChangeRequestView, Option<SmsDraft>), SolarisError> {
        let mut inner = self.lock();
        let (person_id, status) = {
            let request = find(&mut inner, id)?;
            request.settle(ctx.now);
            (request.person_id.clone(), request.check_open())
        };
        status?;
        if body.person_id != person_id {
            return Err(SolarisError::not_found("ChangeRequest", id));
        }
        let person = inner.person(&person_id)?;
        let (delivery, sms) = match body.delivery_method.as_str() {
            "mobile_number" => {
                let to = person
                    .verified_mobile()
                    .ok_or_else(|| {
                        SolarisError::validation(
                            "delivery_method",
                            "the person has no verified mobile number",
                        )
                    })?
                    .to_owned();
                let tan = person.otp(ctx.ids);
                let sms = sms_draft(to, &tan, "change_request", id);
                (Delivery::Tan(tan), Some(sms))
            }
            "static" => (Delivery::Tan(ctx.settings.static_tan.clone()), None),
            "device_signing" => {
                let device_id = body.device_id.ok_or_else(|| {
                    SolarisError::validation(
                        "device_id",
                        "device_id is required for device_signing",
                    )
                })?;
                let device = devices::verified(&inner.devices, &device_id)?;
                if device.person_id != person_id {
                    return Err(SolarisError::not_found("Device", &device_id));
                }
                // Data changes and transactions need the restricted key.
                if device.key(Purpose::Restricted).is_none() {
                    return Err(SolarisError::validation(
                        "device_id",
                        "this use case requires a restricted key, and the device has none",
                    ));
                }
                let string_to_sign = ctx.ids.token(32);
                (
                    Delivery::Device {
                        device_id,
                        string_to_sign,
                    },
                    None,
                )
            }
            other => {
                return Err(SolarisError::validation(
                    "delivery_method",
                    format!("`{other}` is not mobile_number, device_signing or static"),
                ))
            }
        };
        let request = find(&mut inner, id)?;
        request.delivery = Some(delivery);
        request.status = Status::ConfirmationRequired;
        request.updated_at = ctx.now;
        Ok((request.view(), sms))
    }

    /// Checks the TAN or signature, then applies the action exactly once.
    pub(crate) fn confirm(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        body: Confirm,
    ) -> Result<ChangeRequestView, SolarisError> {
        // Read what is needed; a signature is verified without the lock.
        let signed = {
            let mut inner = self.lock();
            let request = find(&mut inner, id)?;
            request.settle(ctx.now);
            request.check_open()?;
            let (delivery, person_id) = (request.delivery.clone(), request.person_id.clone());
            match &delivery {
                None => {
                    return Err(SolarisError::unprocessable(
                        "The change request has not been authorized",
                    ))
                }
                Some(Delivery::Tan(tan)) => {
                    let given = body
                        .tan
                        .as_deref()
                        .ok_or_else(|| SolarisError::validation("tan", "tan is required"))?;
                    if body.person_id.as_deref() != Some(person_id.as_str()) {
                        return Err(SolarisError::validation(
                            "person_id",
                            "person_id does not match the change request",
                        ));
                    }
                    if secret::eq(tan, given) {
                        Ok(())
                    } else {
                        Err(CryptoError::Mismatch)
                    }
                }
                Some(Delivery::Device {
                    device_id,
                    string_to_sign,
                }) => {
                    let signature = body.signature.clone().ok_or_else(|| {
                        SolarisError::validation("signature", "signature is required")
                    })?;
                    if body.device_id.as_deref() != Some(device_id.as_str()) {
                        return Err(SolarisError::validation(
                            "device_id",
                            "device_id does not match the authorization",
                        ));
                    }
                    let key = devices::verified(&inner.devices, device_id)?
                        .key(Purpose::Restricted)
                        .copied()
                        .ok_or_else(|| SolarisError::not_found("Device", device_id))?;
                    let text = string_to_sign.clone();
                    drop(inner);
                    match crypto::verify(&key, text.as_bytes(), &signature) {
                        Err(CryptoError::Mismatch) => Err(CryptoError::Mismatch),
                        Err(malformed) => return Err(devices::signature_error(malformed)),
                        Ok(()) => Ok(()),
                    }
                }
            }
        };
        let mut inner = self.lock();
        let request = find(&mut inner, id)?;
        // Another confirm may have finished while the signature was checked.
        request.check_open()?;
        if signed.is_err() {
            request.status = Status::Failed;
            request.updated_at = ctx.now;
            return Err(SolarisError::invalid_tan());
        }
        let (person_id, action) = (request.person_id.clone(), request.action.clone());
        let result = apply(&mut inner, ctx, &person_id, action);
        let request = find(&mut inner, id)?;
        request.status = Status::Completed;
        request.updated_at = ctx.now;
        request.result = Some(result);
        Ok(request.view())
    }
}

fn find<'a>(inner: &'a mut Inner, id: &str) -> Result<&'a mut ChangeRequest, SolarisError> {
    inner
        .change_requests
        .get_mut(id)
        .ok_or_else(|| SolarisError::not_found("ChangeRequest", id))
}
