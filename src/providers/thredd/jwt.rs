//! Access tokens as signed JWTs, shaped like those of Thredd's
//! IdentityServer: `typ: at+jwt`, `aud`, `client_id`, `scope`. Signed ES256
//! with the world's P-256 key (the default), or RS256 with the sandbox's
//! published RSA test key and its certificate, as Thredd's sample tokens are
//! (`settings.thredd.signing_alg`).

use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::SignatureEncoding;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use sha1::Digest;

/// The default issuer (`settings.thredd.issuer`).
pub(crate) const ISSUER: &str = "https://oauth.sca-sandbox.local";

/// The RS256 key and its self-signed certificate: a public test key, in the
/// repository on purpose, so every run signs alike and a client can pin it.
const RS256_KEY: &[u8] = include_bytes!("keys/rs256.pk8.der");
const RS256_CERT: &[u8] = include_bytes!("keys/rs256.crt.der");

/// How tokens are signed.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
pub enum Alg {
    #[default]
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "RS256")]
    Rs256,
}

impl Alg {
    /// As JOSE names it, in token headers and the discovery document.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

/// The issuer's signing key, with the ids its JWKS publishes.
#[derive(Debug)]
pub(crate) enum Issuer {
    Es256 {
        key: SigningKey,
        kid: String,
    },
    Rs256 {
        key: Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>,
        public: rsa::PublicKey,
        /// Uppercase hex of the certificate's SHA-1, as IdentityServer names keys.
        kid: String,
        /// The same thumbprint, base64url (`x5t`).
        x5t: String,
    },
}

impl Issuer {
    pub(crate) fn es256(key: SigningKey, kid: String) -> Self {
        Self::Es256 { key, kid }
    }

    /// The sandbox's RSA test key; `None` only if the embedded key is broken,
    /// which a unit test rules out.
    pub(crate) fn rs256() -> Option<Self> {
        let private = rsa::PrivateKey::from_pkcs8_der(RS256_KEY).ok()?;
        let public = private.to_public_key();
        let thumbprint = sha1::Sha1::digest(RS256_CERT);
        let kid = base16ct::upper::encode_string(&thumbprint);
        Some(Self::Rs256 {
            key: Box::new(rsa::pkcs1v15::SigningKey::new(private)),
            public,
            kid,
            x5t: base64url(&thumbprint),
        })
    }

    /// The public key as a JWK, as the issuer publishes it in its JWKS.
    pub(crate) fn jwk(&self) -> Jwk<'_> {
        match self {
            Self::Es256 { key, kid } => {
                // Uncompressed SEC1: 0x04, then x and y, 32 bytes each.
                let point = key.verifying_key().to_sec1_point(false);
                let bytes = point.as_bytes();
                let coordinate =
                    |range: std::ops::Range<usize>| base64url(bytes.get(range).unwrap_or_default());
                Jwk {
                    kty: "EC",
                    usage: "sig",
                    alg: Alg::Es256,
                    kid,
                    key: JwkKey::Ec {
                        crv: "P-256",
                        x: coordinate(1..33),
                        y: coordinate(33..65),
                    },
                }
            }
            Self::Rs256 {
                public, kid, x5t, ..
            } => {
                use base64ct::{Base64, Encoding};
                Jwk {
                    kty: "RSA",
                    usage: "sig",
                    alg: Alg::Rs256,
                    kid,
                    key: JwkKey::Rsa {
                        x5t,
                        e: base64url(&public.e_bytes()),
                        n: base64url(&public.n_bytes()),
                        x5c: [Base64::encode_string(RS256_CERT)],
                    },
                }
            }
        }
    }

    /// A compact JWS: `header.claims.signature`, base64url without padding.
    pub(crate) fn sign(&self, c: &Claims<'_>) -> String {
        let header = match self {
            Self::Es256 { kid, .. } => Header {
                alg: Alg::Es256,
                typ: "at+jwt",
                kid,
                x5t: None,
            },
            Self::Rs256 { kid, x5t, .. } => Header {
                alg: Alg::Rs256,
                typ: "at+jwt",
                kid,
                x5t: Some(x5t),
            },
        };
        let claims = Payload {
            iss: c.issuer,
            aud: ["rdxapi", "firbiometricapi"],
            client_id: c.client_id,
            scope: c.scope,
            nbf: c.now.timestamp(),
            exp: c.expires.timestamp(),
            jti: c.jti,
        };
        // Serializing strings and numbers cannot fail.
        let signing_input = format!(
            "{}.{}",
            base64url(
                serde_json::to_string(&header)
                    .unwrap_or_default()
                    .as_bytes()
            ),
            base64url(
                serde_json::to_string(&claims)
                    .unwrap_or_default()
                    .as_bytes()
            )
        );
        let signature = match self {
            // JOSE wants the raw r||s form, not DER.
            Self::Es256 { key, .. } => {
                let signature: Signature = key.sign(signing_input.as_bytes());
                signature.to_bytes().to_vec()
            }
            Self::Rs256 { key, .. } => {
                let signature: rsa::pkcs1v15::Signature =
                    rsa::signature::Signer::sign(key.as_ref(), signing_input.as_bytes());
                signature.to_vec()
            }
        };
        format!("{signing_input}.{}", base64url(&signature))
    }
}

/// The `X-Thredd-Signature` of a notification's JSON body: `k=<key id>,
/// s=<hex signature>`, SHA256withRSA with the sandbox's RSA test key (whose
/// certificate the JWKS publishes with `signing_alg: RS256`). The key id is
/// the base64url SHA-256 of that certificate.
pub(crate) fn notification_signature(body: &[u8]) -> Option<String> {
    let private = rsa::PrivateKey::from_pkcs8_der(RS256_KEY).ok()?;
    let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private);
    let signature: rsa::pkcs1v15::Signature = rsa::signature::Signer::sign(&key, body);
    let kid = base64url(&sha2::Sha256::digest(RS256_CERT));
    Some(format!(
        "k={kid},s={}",
        base16ct::lower::encode_string(&signature.to_vec())
    ))
}

/// A public key of the JWKS.
#[derive(Debug, Serialize)]
pub(crate) struct Jwk<'a> {
    kty: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
    alg: Alg,
    kid: &'a str,
    #[serde(flatten)]
    key: JwkKey<'a>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum JwkKey<'a> {
    Ec {
        crv: &'static str,
        x: String,
        y: String,
    },
    Rsa {
        x5t: &'a str,
        e: String,
        n: String,
        x5c: [String; 1],
    },
}

/// A token's JOSE header.
#[derive(Debug, Serialize)]
struct Header<'a> {
    alg: Alg,
    typ: &'static str,
    kid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<&'a str>,
}

/// A token's claims, as IdentityServer writes them.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    iss: &'a str,
    aud: [&'static str; 2],
    client_id: &'a str,
    scope: &'a [&'a str],
    nbf: i64,
    exp: i64,
    jti: &'a str,
}

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

    fn claims(now: DateTime<Utc>) -> Claims<'static> {
        Claims {
            issuer: ISSUER,
            client_id: "thredd-pm",
            jti: "j1",
            scope: &["client_validate"],
            now,
            expires: now,
        }
    }

    fn parts(token: &str) -> (serde_json::Value, String, Vec<u8>) {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = serde_json::from_slice(&decode(parts[0])).unwrap();
        (
            header,
            format!("{}.{}", parts[0], parts[1]),
            decode(parts[2]),
        )
    }

    #[test]
    fn an_es256_token_verifies_with_the_public_key() {
        let key = SigningKey::from_slice(&[3u8; 32]).unwrap();
        let issuer = Issuer::es256(key.clone(), "k1".to_owned());
        let (header, input, signature) = parts(&issuer.sign(&claims(Utc::now())));
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("ES256"), Some("k1"))
        );
        let signature = Signature::from_slice(&signature).unwrap();
        assert!(key
            .verifying_key()
            .verify(input.as_bytes(), &signature)
            .is_ok());
    }

    #[test]
    fn an_rs256_token_carries_the_certificate_thumbprint_and_verifies() {
        let issuer = Issuer::rs256().expect("the embedded key parses");
        let (header, input, signature) = parts(&issuer.sign(&claims(Utc::now())));
        assert_eq!(header["alg"], "RS256");
        let jwk = serde_json::to_value(issuer.jwk()).unwrap();
        assert_eq!(header["kid"], jwk["kid"]);
        assert_eq!(header["x5t"], jwk["x5t"]);
        assert_eq!(jwk["kid"].as_str().map(str::len), Some(40), "SHA-1, hex");
        assert_eq!(jwk["e"], "AQAB");
        // Verify with the key the JWKS publishes, as a resource server would.
        let n = rsa::BoxedUint::from_be_slice_vartime(&decode(jwk["n"].as_str().unwrap()));
        let e = rsa::BoxedUint::from_be_slice_vartime(&decode(jwk["e"].as_str().unwrap()));
        let public = rsa::PublicKey::new(n, e).unwrap();
        let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public);
        let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice()).unwrap();
        assert!(rsa::signature::Verifier::verify(&verifier, input.as_bytes(), &signature).is_ok());
    }

    fn decode(text: &str) -> Vec<u8> {
        use base64ct::{Base64UrlUnpadded, Encoding};
        Base64UrlUnpadded::decode_vec(text).unwrap()
    }
}
