//! Simulated-user settings shared by several providers: one-time codes and
//! how SMS reach the phone.
//!
//! ```yaml
//! users:
//!   sms: { deliver_after: 20s }          # every provider's SMS arrive 20 s late
//!   weavr: { otp: random, sms: { deliver_after: never } }   # this one's never arrive
//!   solaris: { otp: "654321" }
//! ```

use serde::{Deserialize, Deserializer};

use super::Dur;

/// A fixed six-digit code, or `random` for a fresh code each time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Otp {
    Fixed(String),
    Random,
}

impl Otp {
    /// How the code is written in a scenario file.
    pub(crate) fn as_text(&self) -> &str {
        match self {
            Self::Fixed(code) => code,
            Self::Random => "random",
        }
    }
}

impl Default for Otp {
    fn default() -> Self {
        Self::Fixed("123456".to_owned())
    }
}

impl<'de> Deserialize<'de> for Otp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "random" {
            Ok(Self::Random)
        } else if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self::Fixed(text))
        } else {
            Err(serde::de::Error::custom(
                "otp is six digits (e.g. \"123456\") or `random`",
            ))
        }
    }
}

/// How text messages reach the phone.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsUser {
    /// `0s` (at once, the default), a delay such as `20s`, or `never`.
    #[serde(default)]
    pub deliver_after: Option<Arrival>,
}

/// When a message arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    After(Dur),
    Never,
}

impl<'de> Deserialize<'de> for Arrival {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "never" {
            return Ok(Self::Never);
        }
        Dur::parse(&text)
            .map(Self::After)
            .map_err(|e| serde::de::Error::custom(format!("{e}, or `never`")))
    }
}
