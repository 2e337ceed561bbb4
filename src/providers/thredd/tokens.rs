//! Thredd's oAuth tokens: its IdentityServer's clients, the JWTs it mints
//! (for the program manager, and for the sandbox's own calls as Thredd),
//! and introspection.

use chrono::{DateTime, Utc};

use super::jwt;
use super::model::{Claims, Introspection, Jwks};
use super::store::{Ctx, Store};
use crate::ids::IdGen;
use crate::limits::Full;
use crate::secret;

#[derive(Debug)]
pub(super) struct Token {
    client_id: String,
    scope: Vec<&'static str>,
    nbf: DateTime<Utc>,
    pub(super) exp: DateTime<Utc>,
}

impl Store {
    /// Checks a client's secret and role in constant time.
    pub(crate) fn client(&self, id: &str, secret: &str, role: &str) -> bool {
        self.clients
            .get(id)
            .is_some_and(|(s, r)| secret::eq(s, secret) && r == role)
    }

    /// The key tokens are signed with, made on first use: deriving one builds
    /// the curve's tables, and reading the RSA key parses it, which costs
    /// milliseconds a world need not pay.
    fn issuer(&self) -> &jwt::Issuer {
        self.key.get_or_init(|| {
            let es256 = || {
                let key = crate::crypto::generate(&IdGen::new(Some(self.key_seed)));
                jwt::Issuer::es256(key, self.kid.clone())
            };
            match self.alg {
                jwt::Alg::Es256 => es256(),
                jwt::Alg::Rs256 => jwt::Issuer::rs256().unwrap_or_else(es256),
            }
        })
    }

    /// The issuer's JWKS: the one key tokens are signed with.
    pub(crate) fn jwks(&self) -> Jwks<'_> {
        Jwks {
            keys: [self.issuer().jwk()],
        }
    }

    /// Mints a token for `client_id`; the sandbox mints its own for the calls
    /// it makes as Thredd.
    pub(crate) fn mint(
        &self,
        ctx: Ctx<'_>,
        client_id: &str,
        scope: Vec<&'static str>,
    ) -> Result<(String, i64), Full> {
        self.inner
            .lock()
            .tokens
            .make_room(ctx.cap, |t| t.exp <= ctx.now)?;
        let ttl = ctx.settings.token_ttl.as_delta();
        let exp = ctx.now + ttl;
        let jti = ctx.ids.hex(32);
        let claims = jwt::Claims {
            issuer: &ctx.settings.issuer,
            client_id,
            jti: &jti,
            scope: &scope,
            now: ctx.now,
            expires: exp,
        };
        let token = self.issuer().sign(&claims);
        self.inner.lock().tokens.insert(
            token.as_str().into(),
            Token {
                client_id: client_id.to_owned(),
                scope,
                nbf: ctx.now,
                exp,
            },
        );
        Ok((token, ttl.num_seconds()))
    }

    /// RFC 7662: `active` and the claims, or just `active: false`.
    pub(crate) fn introspect(
        &self,
        now: DateTime<Utc>,
        issuer: &str,
        token: &str,
    ) -> Introspection {
        let inner = self.inner.lock();
        let claims = inner
            .tokens
            .get(token)
            .filter(|t| now < t.exp)
            .map(|t| Claims {
                iss: issuer.to_owned(),
                aud: ["rdxapi", "firbiometricapi"],
                client_id: t.client_id.clone(),
                scope: t.scope.join(" "),
                token_type: "Bearer",
                nbf: t.nbf.timestamp(),
                exp: t.exp.timestamp(),
            });
        Introspection {
            active: claims.is_some(),
            claims,
        }
    }

    /// A live token that a PM may call NotifyValidate with.
    pub(crate) fn bearer_ok(&self, now: DateTime<Utc>, token: &str) -> bool {
        self.inner
            .lock()
            .tokens
            .get(token)
            .is_some_and(|t| now < t.exp && t.client_id != super::THREDD_CLIENT)
    }
}
