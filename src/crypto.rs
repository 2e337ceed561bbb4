//! ECDSA over P-256 with SHA-256: device signatures as a provider checks them
//! (the signature ASN.1 DER-encoded and then hex-encoded, the public key a hex
//! uncompressed SEC1 point), and the sandbox's own signing keys.
//!
//! Decoding is strict: only hex, only DER (no BER leniency), only points on the
//! curve, so the error a client gets names what is wrong with its encoding.
//! Verification costs a few hundred microseconds, so each request verifies once.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};

use crate::ids::IdGen;

/// Why a key or signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CryptoError {
    NotHex,
    NotUncompressedPoint,
    NotDer,
    Mismatch,
}

impl CryptoError {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::NotHex => "must be hex-encoded",
            Self::NotUncompressedPoint => {
                "must be an uncompressed P-256 point (65 bytes starting 04), hex-encoded"
            }
            Self::NotDer => "must be an ASN.1 DER-encoded ECDSA signature, hex-encoded",
            Self::Mismatch => "does not verify against the key",
        }
    }
}

/// Hex in either case.
pub(crate) fn from_hex(text: &str) -> Result<Vec<u8>, CryptoError> {
    base16ct::mixed::decode_vec(text).map_err(|_| CryptoError::NotHex)
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// A device's public key from its hex form.
pub(crate) fn parse_key(hex: &str) -> Result<VerifyingKey, CryptoError> {
    let bytes = from_hex(hex)?;
    if bytes.len() != 65 || bytes[0] != 0x04 {
        return Err(CryptoError::NotUncompressedPoint);
    }
    VerifyingKey::from_sec1_bytes(&bytes).map_err(|_| CryptoError::NotUncompressedPoint)
}

/// Verifies a hex DER signature over SHA-256 of `message`.
pub(crate) fn verify(
    key: &VerifyingKey,
    message: &[u8],
    signature_hex: &str,
) -> Result<(), CryptoError> {
    let der = from_hex(signature_hex)?;
    let signature = Signature::from_der(&der).map_err(|_| CryptoError::NotDer)?;
    key.verify(message, &signature)
        .map_err(|_| CryptoError::Mismatch)
}

/// A key pair the sandbox holds, for virtual devices. Derived from the
/// world's seeded generator, so a seeded scenario makes the same keys.
pub(crate) fn generate(ids: &IdGen) -> SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&ids.next_u64().to_be_bytes());
        }
        // A value outside [1, n) is refused; draw again (probability ~2^-32).
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// Signs as a device would: SHA-256, ECDSA, DER, hex.
pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> String {
    let signature: DerSignature = key.sign(message);
    to_hex(signature.as_bytes())
}

/// The public key's hex form, as a device registers it.
pub(crate) fn public_hex(key: &SigningKey) -> String {
    to_hex(key.verifying_key().to_sec1_point(false).as_bytes())
}

/// The HMAC-SHA256 of `parts`, one after another, keyed with `key`: the
/// signature of a webhook.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> ring::hmac::Tag {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut context = ring::hmac::Context::with_key(&key);
    for part in parts {
        context.update(part);
    }
    context.sign()
}

/// [`hmac_sha256`] in base64.
pub(crate) fn hmac_sha256_base64(key: &[u8], parts: &[&[u8]]) -> String {
    use base64ct::Encoding;
    base64ct::Base64::encode_string(hmac_sha256(key, parts).as_ref())
}

/// [`hmac_sha256`] in lowercase hex.
pub(crate) fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    base16ct::lower::encode_string(hmac_sha256(key, parts).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_is_rfc_4231s() {
        // RFC 4231, test case 2: key "Jefe", "what do ya want for nothing?".
        let mac = hmac_sha256_base64(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(mac, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
        assert_eq!(
            hmac_sha256_hex(b"Jefe", &[b"what do ya want for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        assert_eq!(from_hex("00ff10").unwrap(), vec![0, 255, 16]);
        assert_eq!(to_hex(&[0, 255, 16]), "00ff10");
        assert_eq!(from_hex("abc"), Err(CryptoError::NotHex));
        assert_eq!(from_hex("zz"), Err(CryptoError::NotHex));
        assert_eq!(from_hex("é1"), Err(CryptoError::NotHex));
    }

    #[test]
    fn a_generated_key_signs_what_its_public_key_verifies() {
        let ids = IdGen::new(Some(7));
        let key = generate(&ids);
        let public = parse_key(&public_hex(&key)).unwrap();
        let signature = sign(&key, b"string to sign");
        assert_eq!(verify(&public, b"string to sign", &signature), Ok(()));
        assert_eq!(
            verify(&public, b"another string", &signature),
            Err(CryptoError::Mismatch)
        );
        let other = parse_key(&public_hex(&generate(&ids))).unwrap();
        assert_eq!(
            verify(&other, b"string to sign", &signature),
            Err(CryptoError::Mismatch)
        );
        assert_eq!(
            verify(&public, b"x", "3006020101020101"),
            Err(CryptoError::Mismatch)
        );
        assert_eq!(verify(&public, b"x", "30"), Err(CryptoError::NotDer));
    }

    #[test]
    fn keys_must_be_uncompressed_points_on_the_curve() {
        let key = public_hex(&generate(&IdGen::new(Some(8))));
        assert!(parse_key(&key).is_ok());
        assert_eq!(
            parse_key(&key[..66]).err(),
            Some(CryptoError::NotUncompressedPoint)
        );
        let compressed = format!("02{}", &key[2..66]);
        assert_eq!(
            parse_key(&compressed).err(),
            Some(CryptoError::NotUncompressedPoint)
        );
        let off_curve = format!("{}00", &key[..128]);
        assert_eq!(
            parse_key(&off_curve).err(),
            Some(CryptoError::NotUncompressedPoint)
        );
    }

    /// Every Wycheproof ECDSA P-256/SHA-256 vector: exactly the valid ones verify.
    #[test]
    fn wycheproof_vectors_accept_exactly_the_valid_signatures() {
        let raw = include_str!("../tests/vectors/wycheproof_ecdsa_secp256r1_sha256_test.json");
        let suite: serde_json::Value = serde_json::from_str(raw).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for group in suite["testGroups"].as_array().unwrap() {
            let key_hex = group["publicKey"]["uncompressed"].as_str().unwrap();
            let key = parse_key(key_hex).expect("the group's key parses");
            for case in group["tests"].as_array().unwrap() {
                let message = from_hex(case["msg"].as_str().unwrap()).unwrap();
                let accepted = verify(&key, &message, case["sig"].as_str().unwrap()).is_ok();
                let expected = case["result"] == "valid";
                assert_eq!(
                    accepted, expected,
                    "tcId {} ({}): {}",
                    case["tcId"], case["comment"], case["flags"]
                );
                if expected {
                    valid += 1
                } else {
                    invalid += 1
                }
            }
        }
        assert_eq!((valid, invalid), (174, 310), "every vector was run");
    }
}
