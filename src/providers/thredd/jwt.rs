//! Access tokens as signed JWTs (ES256 with the world's P-256 key), shaped like
//! those of Thredd's IdentityServer: `typ: at+jwt`, `aud`, `client_id`, `scope`.

use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::json;

/// The default issuer (`settings.thredd.issuer`).
pub(crate) const ISSUER: &str = "https://oauth.sca-sandbox.local";

/// What an access token says.
#[derive(Debug)]
pub(crate) struct Claims<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) jti: &'a str,
    pub(crate) scope: &'a [&'a str],
    pub(crate) now: DateTime<Utc>,
    pub(crate) expires: DateTime<Utc>,
}

/// A compact JWS: `header.claims.signature`, base64url without padding.
pub(crate) fn sign(key: &SigningKey, kid: &str, c: &Claims<'_>) -> String {
    let header = json!({ "alg": "ES256", "typ": "at+jwt", "kid": kid });
    let claims = json!({
        "iss": c.issuer,
        "aud": ["rdxapi", "firbiometricapi"],
        "client_id": c.client_id,
        "scope": c.scope,
        "nbf": c.now.timestamp(),
        "exp": c.expires.timestamp(),
        "jti": c.jti,
    });
    let signing_input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    // JOSE wants the raw r||s form, not DER.
    let signature: Signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", base64url(&signature.to_bytes()))
}

/// The public half of `key` as a JWK, as an issuer publishes it in its JWKS.
pub(crate) fn jwk(key: &SigningKey, kid: &str) -> serde_json::Value {
    // Uncompressed SEC1: 0x04, then x and y, 32 bytes each.
    let point = key.verifying_key().to_sec1_point(false);
    let bytes = point.as_bytes();
    let coordinate = |range: std::ops::Range<usize>| base64url(bytes.get(range).unwrap_or_default());
    json!({
        "kty": "EC",
        "use": "sig",
        "alg": "ES256",
        "crv": "P-256",
        "kid": kid,
        "x": coordinate(1..33),
        "y": coordinate(33..65),
    })
}

/// Base64url without padding, as JOSE writes.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn base64url_has_no_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn a_token_verifies_with_the_public_key() {
        let key = SigningKey::from_slice(&[3u8; 32]).unwrap();
        let now = Utc::now();
        let claims = Claims {
            issuer: ISSUER,
            client_id: "thredd-pm",
            jti: "j1",
            scope: &["client_validate"],
            now,
            expires: now,
        };
        let token = sign(&key, "k1", &claims);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let signature = Signature::from_slice(&decode(parts[2])).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(key
            .verifying_key()
            .verify(input.as_bytes(), &signature)
            .is_ok());
        let claims: serde_json::Value = serde_json::from_slice(&decode(parts[1])).unwrap();
        assert_eq!(claims["client_id"], "thredd-pm");
    }

    fn decode(text: &str) -> Vec<u8> {
        use base64ct::{Base64UrlUnpadded, Encoding};
        Base64UrlUnpadded::decode_vec(text).unwrap()
    }
}
