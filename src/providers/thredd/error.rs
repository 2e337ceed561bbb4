//! Thredd's error bodies: RFC 6749's `{error, error_description}` for the
//! oAuth endpoints and everything routed, as Thredd's IdentityServer answers.
//! NotifyValidate answers its own way: the echo with `Error` filled in.

use hyper::StatusCode;
use serde_json::Value;

use super::model::Refusal;
use super::model::ValidateAnswer;
use crate::http::{self, Response};
use crate::providers::{CommonError, ProviderError};

#[derive(Debug)]
pub(crate) enum ThreddError {
    /// `{error, error_description}`.
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
    /// NotifyValidate refused: the request's fields echoed, with `Error`.
    Refused { request: Value, refusal: Refusal },
}

pub(crate) type Result<T> = std::result::Result<T, ThreddError>;

impl ThreddError {
    pub(crate) fn oauth(status: StatusCode, error: &'static str, description: &str) -> Self {
        Self::OAuth {
            status,
            error,
            description: description.to_owned(),
        }
    }
}

impl ProviderError for ThreddError {
    fn into_response(self) -> Response {
        match self {
            Self::OAuth {
                status,
                error,
                description,
            } => http::oauth_error(status, error, &description),
            Self::Refused { request, refusal } => echo(StatusCode::BAD_REQUEST, &request, &refusal),
        }
    }
}

impl From<CommonError> for ThreddError {
    fn from(err: CommonError) -> Self {
        let (status, error, description) = err.parts();
        Self::OAuth {
            status,
            error,
            description,
        }
    }
}

/// NotifyValidate's answer: the request's fields, and `Error`.
pub(crate) fn echo(status: StatusCode, request: &Value, error: &Refusal) -> Response {
    http::json(
        status,
        &ValidateAnswer {
            pubtoken: &request["Pubtoken"],
            gps_initiate_action_id: &request["GPSInitiateActionID"],
            pm_reference_id: &request["PMReferenceID"],
            status: &request["Status"],
            error,
        },
    )
}
