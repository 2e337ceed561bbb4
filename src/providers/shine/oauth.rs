//! Shine's OAuth 2 authorization-code flow: codes, access and refresh tokens.
//!
//! The sandbox has no login page: `authorize` consents at once on behalf of the
//! user named by `uid` (or the first fixture user), which is what a partner's
//! integration test needs to obtain a token.

use chrono::{DateTime, Utc};
use hyper::StatusCode;

use super::error::ShineError;
use super::store::Ctx;
use crate::deadlines::Deadlines;
use crate::limits::{Cap, Capped};

#[derive(Debug)]
struct Code {
    client_id: Box<str>,
    uid: Box<str>,
    redirect_uri: Box<str>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug)]
struct Grant {
    client_id: Box<str>,
    uid: Box<str>,
    /// `None` for refresh tokens, which live until used or revoked.
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Code(Box<str>),
    Access(Box<str>),
}

/// Tokens issued to a client for a user.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_in: i64,
    pub(crate) uid: String,
}

#[derive(Debug, Default)]
pub(crate) struct OAuth {
    codes: Capped<Box<str>, Code>,
    access: Capped<Box<str>, Grant>,
    refresh: Capped<Box<str>, Grant>,
    deadlines: Deadlines<Key>,
}

fn invalid_grant(message: &str) -> ShineError {
    ShineError::new(StatusCode::BAD_REQUEST, "invalid_grant", message)
}

/// A code refused with one of the reference's `AUTHORIZATION_CODE_*` codes.
fn bad_code(code: &'static str, message: &str) -> ShineError {
    ShineError::new(StatusCode::BAD_REQUEST, code, message).on_field("code")
}

impl OAuth {
    pub(crate) fn issue_code(
        &mut self,
        ctx: Ctx<'_>,
        client_id: &str,
        uid: &str,
        redirect_uri: &str,
    ) -> Result<String, ShineError> {
        let now = ctx.now;
        let room = self.codes.make_room(ctx.cap, |c| c.expires_at <= now);
        self.forget_deadlines_of_the_evicted();
        room.map_err(ShineError::too_many)?;
        let code = ctx.ids.token(32);
        let expires_at = ctx.now + ctx.settings.authorization_code_ttl.as_delta();
        let key: Box<str> = code.as_str().into();
        self.deadlines.push(expires_at, Key::Code(key.clone()));
        self.codes.insert(
            key,
            Code {
                client_id: client_id.into(),
                uid: uid.into(),
                redirect_uri: redirect_uri.into(),
                expires_at,
            },
        );
        Ok(code)
    }

    /// Room for one more access token, and a refresh token unless one is
    /// being rotated: expired access tokens go first; refresh tokens live
    /// until used or revoked, so a full table of them refuses.
    fn room_for_tokens(
        &mut self,
        now: DateTime<Utc>,
        cap: Cap<'_>,
        new_refresh: bool,
    ) -> Result<(), ShineError> {
        let access = self
            .access
            .make_room(cap, |g| g.expires_at.is_some_and(|at| at <= now));
        self.forget_deadlines_of_the_evicted();
        access.map_err(ShineError::too_many)?;
        if new_refresh {
            self.refresh
                .make_room(cap, |_| false)
                .map_err(ShineError::too_many)?;
        }
        Ok(())
    }

    /// Drops the deadlines of entries a full table forgot early, once they
    /// add up (see [`Deadlines::compact`]).
    fn forget_deadlines_of_the_evicted(&mut self) {
        let (codes, access) = (&self.codes, &self.access);
        self.deadlines.compact(|key| match key {
            Key::Code(code) => codes.contains_key(code),
            Key::Access(token) => access.contains_key(token),
        });
    }

    /// Trades a code for tokens. A code works once, for the client and
    /// redirect URI it was issued to.
    pub(crate) fn exchange_code(
        &mut self,
        ctx: Ctx<'_>,
        client_id: &str,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<Issued, ShineError> {
        // Room first, so a refusal does not burn the code.
        self.room_for_tokens(ctx.now, ctx.cap, true)?;
        let Some(found) = self.codes.remove(code) else {
            // A used code is forgotten, so it reads as unknown.
            return Err(bad_code(
                "AUTHORIZATION_CODE_NOT_FOUND",
                "Unknown or already used authorization code",
            ));
        };
        if found.expires_at <= ctx.now {
            return Err(bad_code(
                "AUTHORIZATION_CODE_EXPIRED",
                "Authorization code expired",
            ));
        }
        if &*found.client_id != client_id {
            return Err(bad_code(
                "AUTHORIZATION_CODE_NOT_FOUND",
                "Authorization code issued to another client",
            ));
        }
        if redirect_uri.is_some_and(|uri| uri != &*found.redirect_uri) {
            return Err(bad_code(
                "AUTHORIZATION_CODE_REDIRECT_URI_DOES_NOT_MATCH",
                "redirect_uri does not match the authorization request",
            )
            .on_field("redirect_uri"));
        }
        Ok(self.issue_tokens(ctx, client_id, &found.uid))
    }

    /// Rotates a refresh token: the old one stops working.
    pub(crate) fn refresh(
        &mut self,
        ctx: Ctx<'_>,
        client_id: &str,
        token: &str,
    ) -> Result<Issued, ShineError> {
        self.room_for_tokens(ctx.now, ctx.cap, false)?;
        match self.refresh.get(token) {
            Some(grant) if &*grant.client_id == client_id => {}
            _ => return Err(invalid_grant("Unknown or revoked refresh token")),
        }
        let grant = self
            .refresh
            .remove(token)
            .ok_or_else(|| invalid_grant(""))?;
        Ok(self.issue_tokens(ctx, client_id, &grant.uid))
    }

    fn issue_tokens(&mut self, ctx: Ctx<'_>, client_id: &str, uid: &str) -> Issued {
        let access_token = format!("sat_{}", ctx.ids.token(40));
        let refresh_token = format!("srt_{}", ctx.ids.token(40));
        let ttl = ctx.settings.access_token_ttl.as_delta();
        let expires_at = ctx.now + ttl;
        let access_key: Box<str> = access_token.as_str().into();
        self.deadlines
            .push(expires_at, Key::Access(access_key.clone()));
        self.access.insert(
            access_key,
            Grant {
                client_id: client_id.into(),
                uid: uid.into(),
                expires_at: Some(expires_at),
            },
        );
        self.refresh.insert(
            refresh_token.as_str().into(),
            Grant {
                client_id: client_id.into(),
                uid: uid.into(),
                expires_at: None,
            },
        );
        Issued {
            access_token,
            refresh_token,
            expires_in: ttl.num_seconds(),
            uid: uid.to_owned(),
        }
    }

    /// Revokes an access or refresh token of this client's; unknown tokens are
    /// ignored, as RFC 7009 asks.
    pub(crate) fn revoke(&mut self, client_id: &str, token: &str) {
        for map in [&mut self.access, &mut self.refresh] {
            if map.get(token).is_some_and(|g| &*g.client_id == client_id) {
                map.remove(token);
            }
        }
    }

    /// The user an issued access token stands for, while it is valid.
    pub(crate) fn user_of(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        let grant = self.access.get(token)?;
        grant
            .expires_at
            .is_none_or(|at| at > now)
            .then(|| grant.uid.to_string())
    }

    pub(crate) fn sweep(&mut self, now: DateTime<Utc>) {
        while let Some((_, key)) = self.deadlines.pop_due(now) {
            match key {
                Key::Code(code) => {
                    self.codes.remove(&code);
                }
                Key::Access(token) => {
                    self.access.remove(&token);
                }
            }
        }
    }
}
