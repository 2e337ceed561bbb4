//! Solaris' error envelopes: the API's
//! `{"errors": [{"id", "status", "code", "title", "detail", "source": {"field", "message"}}]}`;
//! the device-management MFA challenges' flat `{id, status, code, title,
//! detail}` (with `error_code` on a 400) for every error but 401 and 403,
//! which keep the list, as their reference gives them; and RFC 6749's
//! `{"error", "error_description"}` from its OAuth2 server.

use hyper::StatusCode;
use serde::Serialize;

use crate::http::{self, DecodeError, Response};
use crate::providers::{CommonError, ProviderError, World};

/// The list envelope.
#[derive(Debug, Serialize)]
struct Errors<'a> {
    errors: [ErrorObject<'a>; 1],
}

/// One error: the list's item, and the flat shape by itself.
#[derive(Debug, Serialize)]
struct ErrorObject<'a> {
    id: &'a str,
    status: u16,
    code: &'a str,
    title: &'a str,
    detail: String,
    /// The flat shape's, on a 400.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source<'a>>,
}

#[derive(Debug, Serialize)]
struct Source<'a> {
    field: &'a str,
    message: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SolarisError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) title: &'static str,
    pub(crate) detail: String,
    pub(crate) field: Option<String>,
    /// Answered by the OAuth2 server (`/oauth2/token`): `code` is the RFC
    /// 6749 `error`, `detail` its `error_description`.
    pub(crate) oauth: bool,
    /// Answered by an MFA challenge endpoint, in its flat shape.
    pub(crate) flat: bool,
}

impl SolarisError {
    /// A store full of live objects: Solaris' rate-limit answer.
    pub(crate) fn too_many(full: crate::limits::Full) -> Self {
        crate::providers::CommonError::TooMany(full).into()
    }

    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            field: None,
            oauth: false,
            flat: false,
        }
    }

    /// An RFC 6749 error of the OAuth2 server.
    pub(crate) fn oauth(status: StatusCode, error: &'static str, description: &str) -> Self {
        Self {
            oauth: true,
            ..Self::new(status, error, "", description)
        }
    }

    /// The same error in the MFA challenges' flat shape; 401 and 403 keep
    /// the list.
    pub(crate) fn flat(mut self) -> Self {
        self.flat = !matches!(self.status.as_u16(), 401 | 403);
        self
    }

    pub(crate) fn validation(field: &str, detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "Validation Error",
            detail,
        );
        e.field = Some(field.to_owned());
        e
    }

    pub(crate) fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "model_not_found",
            "Model Not Found",
            format!("Couldn't find '{what}' for id '{id}'."),
        )
    }

    pub(crate) fn unauthorized(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            detail,
        )
    }

    pub(crate) fn invalid_tan() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_tan",
            "Invalid TAN",
            "Invalid or expired TAN",
        )
    }

    pub(crate) fn invalid_signature(detail: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_signature",
            "Invalid Signature",
            detail,
        )
    }

    pub(crate) fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_entity",
            "Unprocessable Entity",
            detail,
        )
    }

    pub(crate) fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict", detail)
    }

    fn with_id(self, id: &str) -> Response {
        if self.oauth {
            return http::oauth_error(self.status, self.code, &self.detail);
        }
        let mut error = ErrorObject {
            id,
            status: self.status.as_u16(),
            code: self.code,
            title: self.title,
            detail: self.detail.clone(),
            error_code: None,
            source: None,
        };
        if self.flat {
            if self.status == StatusCode::BAD_REQUEST {
                error.error_code = Some(self.code);
            }
            if let Some(field) = &self.field {
                error.detail = format!("{field}: {}", self.detail);
            }
            return http::json(self.status, &error);
        }
        error.source = self.field.as_deref().map(|field| Source {
            field,
            message: &self.detail,
        });
        http::json(self.status, &Errors { errors: [error] })
    }
}

impl ProviderError for SolarisError {
    /// Before any handler ran there is no world to draw an id from, so a
    /// failure found then carries a fixed one.
    fn into_response(self) -> Response {
        self.with_id("00000000-0000-4000-8000-000000000000")
    }

    fn in_world(self, world: &World) -> Response {
        self.with_id(&world.ids().uuid().to_string())
    }
}

impl From<DecodeError> for SolarisError {
    fn from(e: DecodeError) -> Self {
        let detail = e.describe();
        match e.field {
            Some(field) => Self::validation(&field, detail),
            None => Self::new(
                StatusCode::BAD_REQUEST,
                "validation_error",
                "Validation Error",
                detail,
            ),
        }
    }
}

impl From<CommonError> for SolarisError {
    fn from(e: CommonError) -> Self {
        let (status, code, detail) = e.parts();
        Self::new(
            status,
            code,
            status.canonical_reason().unwrap_or("Error"),
            detail,
        )
    }
}

/// The person has as many bound devices as Solaris allows.
pub(crate) fn device_limit(max: usize) -> SolarisError {
    SolarisError::conflict(
        "device_limit_reached",
        format!("A person may have at most {max} devices"),
    )
}
