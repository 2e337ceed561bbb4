//! Weavr's error envelopes, as its OpenAPI specs give them:
//! - 400: `{message, syntaxErrors: {invalidFields: [{params, fieldName, error}]}}`;
//! - 403 and 409 (and the guide's 400 `INVALID_REQUEST`): `{errorCode, message?}`;
//! - 401 (a bad api-key, a bad login or token) and 423 (a locked login):
//!   no body, only the `request-ref` header;
//! - everything else (404, 405, 413, 500): `{code, message}`;
//! - 429 has no body, only the `x-ratelimit-limit` and `x-ratelimit-reset`
//!   headers.

use hyper::StatusCode;
use serde::Serialize;

use crate::http::{self, DecodeError, Response};
use crate::providers::{CommonError, ProviderError};

/// The bodies of the envelopes that have one.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Syntax {
        message: &'a str,
        #[serde(rename = "syntaxErrors")]
        syntax_errors: SyntaxErrors<'a>,
    },
    Code {
        #[serde(rename = "errorCode")]
        error_code: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<&'a str>,
    },
    Default {
        code: &'a str,
        message: &'a str,
    },
    Message {
        message: &'a str,
    },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SyntaxErrors<'a> {
    invalid_fields: &'a [InvalidField],
}

/// One entry of `syntaxErrors.invalidFields`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvalidField {
    pub(crate) params: Vec<String>,
    pub(crate) field_name: String,
    /// `REQUIRED`, `SIZE`, `REGEX`, `IN`, `RANGE`, `HAS_TEXT`, ...
    pub(crate) error: &'static str,
}

/// Collects every invalid field of a body, as Weavr answers them all at once
/// in one 400.
#[derive(Debug, Default)]
pub(crate) struct InvalidFields(Vec<InvalidField>);

impl InvalidFields {
    pub(crate) fn flag(&mut self, name: impl Into<String>, error: &'static str, params: &[&str]) {
        self.0.push(InvalidField {
            params: params.iter().map(|p| (*p).to_owned()).collect(),
            field_name: name.into(),
            error,
        });
    }

    /// `SIZE` unless `value` has `min` to `max` characters.
    pub(crate) fn size(&mut self, name: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min || n > max {
            self.flag(name, "SIZE", &[&min.to_string(), &max.to_string()]);
        }
    }

    /// Bank details under `at`: an IBAN, or an account number and a sort
    /// code (Faster Payments). False when neither is there, for the caller
    /// to say what it requires instead.
    pub(crate) fn bank_details(
        &mut self,
        details: Option<&serde_json::Map<String, serde_json::Value>>,
        at: &str,
    ) -> bool {
        let field = |k: &str| details.and_then(|d| d.get(k)).and_then(|v| v.as_str());
        let digits = |k: &str, n: usize| {
            field(k).is_some_and(|v| v.len() == n && v.bytes().all(|b| b.is_ascii_digit()))
        };
        if let Some(iban) = field("iban") {
            if !crate::validate::is_iban(iban) {
                self.flag(
                    format!("{at}.iban"),
                    "REGEX",
                    &["^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"],
                );
            }
            return true;
        }
        let present = |k: &str| details.is_some_and(|d| d.contains_key(k));
        if !present("accountNumber") && !present("sortCode") {
            return false;
        }
        if !digits("accountNumber", 8) {
            self.flag(format!("{at}.accountNumber"), "REGEX", &["^[0-9]{8}$"]);
        }
        if !digits("sortCode", 6) {
            self.flag(format!("{at}.sortCode"), "REGEX", &["^[0-9]{6}$"]);
        }
        true
    }

    /// Nothing flagged, or the 400 naming everything that was.
    pub(crate) fn done(self) -> Result<(), WeavrError> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(WeavrError::Syntax {
            message: format!("{} invalid field(s)", self.0.len()),
            fields: self.0,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WeavrError {
    Syntax {
        message: String,
        fields: Vec<InvalidField>,
    },
    Code {
        status: StatusCode,
        error_code: &'static str,
        message: Option<String>,
    },
    Default {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// The store is full: the limit exceeded, and when to try again.
    RateLimited { limit: usize, reset_secs: u64 },
    /// The api-key, the credentials or the auth token are not good.
    Unauthorized,
    /// A token that lived, but idled past its timeout: answered as
    /// [`WeavrError::Unauthorized`], and told apart for the report.
    Expired,
    /// Too many wrong passwords in a row.
    Locked,
    /// A 403 the description gives no body.
    Forbidden,
    /// The Simulator's own envelope: `{message}`.
    Simulator {
        status: StatusCode,
        message: &'static str,
    },
}

impl WeavrError {
    /// A 400 about one field.
    pub(crate) fn field(name: impl Into<String>, error: &'static str, params: &[&str]) -> Self {
        let name = name.into();
        Self::Syntax {
            message: format!("Invalid field: {name}"),
            fields: vec![InvalidField {
                params: params.iter().map(|p| (*p).to_owned()).collect(),
                field_name: name,
                error,
            }],
        }
    }

    /// 409 with an error code, Weavr's answer for most SCA refusals.
    pub(crate) fn conflict(error_code: &'static str) -> Self {
        Self::Code {
            status: StatusCode::CONFLICT,
            error_code,
            message: None,
        }
    }

    pub(crate) fn step_up_required() -> Self {
        Self::Code {
            status: StatusCode::FORBIDDEN,
            error_code: "STEP_UP_REQUIRED",
            message: None,
        }
    }

    pub(crate) fn code(status: StatusCode, error_code: &'static str, message: &str) -> Self {
        Self::Code {
            status,
            error_code,
            message: Some(message.to_owned()),
        }
    }

    pub(crate) fn default(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Default {
            status,
            code,
            message: message.into(),
        }
    }

    /// A store full of live objects. The limit header names the cap as
    /// Weavr names a call limit; a retry makes sense once something
    /// finishes or expires, so the reset is a second.
    pub(crate) fn too_many(full: crate::limits::Full) -> Self {
        Self::RateLimited {
            limit: full.cap,
            reset_secs: 1,
        }
    }

    pub(crate) fn simulator(status: StatusCode, message: &'static str) -> Self {
        Self::Simulator { status, message }
    }

    /// The `errorCode` of a 403 or 409 (or the guide's 400).
    pub(crate) fn error_code(&self) -> Option<&'static str> {
        match self {
            Self::Code { error_code, .. } => Some(error_code),
            _ => None,
        }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::default(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{what} not found"),
        )
    }
}

impl ProviderError for WeavrError {
    fn into_response(self) -> Response {
        match self {
            Self::Syntax { message, fields } => http::json(
                StatusCode::BAD_REQUEST,
                &Body::Syntax {
                    message: &message,
                    syntax_errors: SyntaxErrors {
                        invalid_fields: &fields,
                    },
                },
            ),
            Self::Code {
                status,
                error_code,
                message,
            } => http::json(
                status,
                &Body::Code {
                    error_code,
                    message: message.as_deref(),
                },
            ),
            Self::Default {
                status,
                code,
                message,
            } => http::json(
                status,
                &Body::Default {
                    code,
                    message: &message,
                },
            ),
            Self::Unauthorized | Self::Expired => http::empty(StatusCode::UNAUTHORIZED),
            Self::Locked => http::empty(StatusCode::LOCKED),
            Self::Forbidden => http::empty(StatusCode::FORBIDDEN),
            Self::Simulator { status, message } => http::json(status, &Body::Message { message }),
            Self::RateLimited { limit, reset_secs } => {
                let mut res = http::empty(StatusCode::TOO_MANY_REQUESTS);
                let headers = res.headers_mut();
                headers.insert("x-ratelimit-limit", limit.into());
                headers.insert("x-ratelimit-reset", reset_secs.into());
                res
            }
        }
    }
}

impl From<DecodeError> for WeavrError {
    /// A body that is not JSON, or a field of the wrong type or missing.
    fn from(e: DecodeError) -> Self {
        let error = if e.message.starts_with("missing field") {
            "REQUIRED"
        } else {
            "HAS_TEXT"
        };
        match e.field {
            Some(field) => Self::Syntax {
                message: e.message,
                fields: vec![InvalidField {
                    params: Vec::new(),
                    field_name: field,
                    error,
                }],
            },
            // A body that is not JSON names no field.
            None => Self::Syntax {
                message: e.message,
                fields: Vec::new(),
            },
        }
    }
}

impl From<CommonError> for WeavrError {
    /// Weavr's default envelope spells codes in upper snake case.
    fn from(e: CommonError) -> Self {
        if let CommonError::TooMany(full) = e {
            return Self::too_many(full);
        }
        let (status, code, message) = e.parts();
        let code = match code {
            "not_found" => "NOT_FOUND",
            "method_not_allowed" => "METHOD_NOT_ALLOWED",
            "payload_too_large" => "PAYLOAD_TOO_LARGE",
            "request_timeout" => "REQUEST_TIMEOUT",
            _ => "INTERNAL_SERVER_ERROR",
        };
        Self::default(status, code, message)
    }
}
