//! An SMS one-time-password challenge and Weavr's rules for it: it expires,
//! it takes a few wrong codes (warning before the last), and only the newest
//! code of a re-issued challenge works.

use chrono::{DateTime, Utc};

use super::config::Settings;
use super::error::WeavrError;
use crate::ids::IdGen;
use crate::secret;
use crate::terms::Otp;

#[derive(Debug, Clone)]
pub(crate) struct Challenge {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    failures: u32,
}

/// The outcome of a wrong or late code.
pub(crate) type Refusal = WeavrError;

impl Challenge {
    /// A new challenge whose code differs from `previous` when codes are random.
    pub(crate) fn issue(
        settings: &Settings,
        ids: &IdGen,
        now: DateTime<Utc>,
        previous: Option<&Challenge>,
    ) -> Self {
        let code = match &settings.otp {
            Otp::Fixed(code) => code.clone(),
            Otp::Random => loop {
                let code = ids.digits(6);
                if previous.is_none_or(|p| p.code != code) {
                    break code;
                }
            },
        };
        Self {
            id: ids.uuid().simple().to_string(),
            code,
            issued_at: now,
            expires_at: now + settings.challenge_ttl.as_delta(),
            failures: 0,
        }
    }

    /// When the code stops working.
    pub(crate) fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Whether a re-issue is still too early.
    pub(crate) fn too_early(&self, settings: &Settings, now: DateTime<Utc>) -> bool {
        now < self.issued_at + settings.retry_after.as_delta()
    }

    /// Checks a code. `Ok(())` means verified; a refusal says why, counting
    /// the wrong attempt.
    pub(crate) fn verify(
        &mut self,
        settings: &Settings,
        now: DateTime<Utc>,
        code: &str,
    ) -> Result<(), Refusal> {
        if self.failures >= settings.max_verify_attempts {
            return Err(WeavrError::conflict("CHALLENGE_LIMIT_EXCEEDED"));
        }
        if now >= self.expires_at {
            return Err(WeavrError::conflict("VERIFICATION_CODE_EXPIRED"));
        }
        if secret::eq(&self.code, code) {
            return Ok(());
        }
        self.failures += 1;
        let left = settings.max_verify_attempts - self.failures;
        Err(WeavrError::conflict(match left {
            0 => "CHALLENGE_LIMIT_EXCEEDED",
            1 => "ONE_CHALLENGE_LIMIT_REMAINING",
            _ => "VERIFICATION_CODE_INVALID",
        }))
    }
}

/// Validates `verificationCode` as Weavr's spec does: six digits.
pub(crate) fn check_code(code: Option<&str>) -> Result<&str, WeavrError> {
    let code = code.ok_or_else(|| WeavrError::field("verificationCode", "REQUIRED", &[]))?;
    if code.len() != 6 {
        return Err(WeavrError::field("verificationCode", "SIZE", &["6", "6"]));
    }
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WeavrError::field(
            "verificationCode",
            "REGEX",
            &["^[0-9]*$"],
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn settings() -> Settings {
        Settings {
            otp: Otp::Random,
            ..Settings::default()
        }
    }

    #[test]
    fn wrong_codes_warn_before_the_last_attempt() {
        let (s, ids, now) = (settings(), IdGen::new(Some(1)), Utc::now());
        let mut c = Challenge::issue(&s, &ids, now, None);
        let wrong = if c.code == "000000" {
            "111111"
        } else {
            "000000"
        };
        let codes: Vec<_> = (0..4)
            .map(|_| match c.verify(&s, now, wrong) {
                Err(WeavrError::Code { error_code, .. }) => error_code,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            codes,
            [
                "VERIFICATION_CODE_INVALID",
                "ONE_CHALLENGE_LIMIT_REMAINING",
                "CHALLENGE_LIMIT_EXCEEDED",
                "CHALLENGE_LIMIT_EXCEEDED"
            ]
        );
        let right = c.code.clone();
        assert!(c.verify(&s, now, &right).is_err(), "dead after the limit");
    }

    #[test]
    fn a_code_expires_after_five_minutes() {
        let (s, ids, now) = (settings(), IdGen::new(Some(2)), Utc::now());
        let mut c = Challenge::issue(&s, &ids, now, None);
        let code = c.code.clone();
        let late = now + TimeDelta::minutes(5);
        assert!(matches!(
            c.verify(&s, late, &code),
            Err(WeavrError::Code {
                error_code: "VERIFICATION_CODE_EXPIRED",
                ..
            })
        ));
        assert!(c.verify(&s, late - TimeDelta::seconds(1), &code).is_ok());
    }

    #[test]
    fn a_reissued_random_code_differs() {
        let (s, ids, now) = (settings(), IdGen::new(Some(3)), Utc::now());
        let mut previous = Challenge::issue(&s, &ids, now, None);
        for _ in 0..200 {
            let next = Challenge::issue(&s, &ids, now, Some(&previous));
            assert_ne!(next.code, previous.code);
            previous = next;
        }
    }

    #[test]
    fn codes_are_six_digits() {
        assert!(check_code(Some("123456")).is_ok());
        for bad in [None, Some("12345"), Some("1234567"), Some("12345a")] {
            assert!(
                matches!(check_code(bad), Err(WeavrError::Syntax { .. })),
                "{bad:?}"
            );
        }
    }
}
