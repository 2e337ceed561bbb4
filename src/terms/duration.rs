//! Durations as scenario files write them: `150ms`, `2s`, `5m`, `1h`, `1m30s`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A duration written with units. A bare number is refused: `after: 2` could mean
/// seconds or milliseconds, and a scenario must not be ambiguous.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub Duration);

/// The forms a duration takes, for every refusal to list.
const FORMS: &str =
    "write it as `150ms`, `30s`, `5m` or `1h`, or several together with no spaces (`1m30s`)";

impl Dur {
    /// The longest duration a scenario or a control call may write: ten
    /// years (87600h). With the clock kept before 2200, every deadline the
    /// sandbox computes stays far inside what dates can hold.
    pub const MAX: Self = Self(Duration::from_secs(87_600 * 3600));

    pub const fn secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }

    /// As a signed delta, at most [`Dur::MAX`] even for a value built by hand.
    pub fn as_delta(self) -> chrono::TimeDelta {
        let bounded = self.0.min(Self::MAX.0);
        chrono::TimeDelta::from_std(bounded).unwrap_or(chrono::TimeDelta::zero())
    }

    /// Parses `1h`, `5m`, `2s`, `150ms` and concatenations like `1m30s`.
    /// Every refusal lists the forms it takes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty duration".to_owned());
        }
        let mut total = Duration::ZERO;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(format!(
                    "invalid duration `{text}`: expected a number followed by ms, s, m or h; {FORMS}"
                ));
            }
            let value: u64 = rest[..digits]
                .parse()
                .map_err(|_| format!("invalid duration `{text}`: number too large"))?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let unit = match &rest[..unit_len] {
                "ms" => Duration::from_millis(value),
                "s" => Duration::from_secs(value),
                "m" => Duration::from_secs(value.saturating_mul(60)),
                "h" => Duration::from_secs(value.saturating_mul(3600)),
                "" => {
                    return Err(format!(
                    "invalid duration `{text}`: a unit is required right after the number; {FORMS}"
                ))
                }
                other => {
                    return Err(format!(
                        "invalid duration `{text}`: unknown unit `{other}`; {FORMS}"
                    ))
                }
            };
            total = total.saturating_add(unit);
            rest = &rest[unit_len..];
        }
        if total > Self::MAX.0 {
            return Err(format!(
                "duration `{text}` is longer than the longest allowed, {} (ten years)",
                Self::MAX
            ));
        }
        Ok(Self(total))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if !ms.is_multiple_of(1000) {
            write!(f, "{ms}ms")
        } else if ms.is_multiple_of(3_600_000) && ms > 0 {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms.is_multiple_of(60_000) && ms > 0 {
            write!(f, "{}m", ms / 60_000)
        } else {
            write!(f, "{}s", ms / 1000)
        }
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurVisitor;
        impl Visitor<'_> for DurVisitor {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 150ms, 2s, 5m or 1h")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                Dur::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write `{v}s` or `{v}ms`"
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                self.visit_u64(v.unsigned_abs())
            }
        }
        deserializer.deserialize_any(DurVisitor)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A rule's `delay`: fixed (`2s`) or drawn uniformly from a range (`1s..3s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delay {
    pub min: Duration,
    pub max: Duration,
}

impl Delay {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once("..") {
            None => {
                let d = Dur::parse(text)?.0;
                Ok(Self { min: d, max: d })
            }
            Some((low, high)) => {
                let (min, max) = (Dur::parse(low)?.0, Dur::parse(high)?.0);
                if min > max {
                    return Err(format!("delay range `{text}` runs backwards"));
                }
                Ok(Self { min, max })
            }
        }
    }

    /// The delay for one request; `draw` is a uniform random number.
    pub(crate) fn pick(&self, draw: u64) -> Duration {
        let span = (self.max - self.min).as_millis() as u64;
        if span == 0 {
            return self.min;
        }
        self.min + Duration::from_millis(draw % (span + 1))
    }
}

impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Delay::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_concatenations() {
        assert_eq!(Dur::parse("150ms").unwrap().0, Duration::from_millis(150));
        assert_eq!(Dur::parse("2s").unwrap().0, Duration::from_secs(2));
        assert_eq!(Dur::parse("5m").unwrap().0, Duration::from_secs(300));
        assert_eq!(Dur::parse("1h").unwrap().0, Duration::from_secs(3600));
        assert_eq!(Dur::parse("1m30s").unwrap().0, Duration::from_secs(90));
    }

    #[test]
    fn refuses_what_is_ambiguous_or_unknown() {
        assert!(Dur::parse("2").unwrap_err().contains("unit is required"));
        assert!(Dur::parse("2d").unwrap_err().contains("unknown unit `d`"));
        assert!(Dur::parse("").is_err());
        assert!(Dur::parse("s").is_err());
    }

    #[test]
    fn refuses_durations_longer_than_ten_years() {
        assert_eq!(Dur::parse("87600h").unwrap(), Dur::MAX);
        for text in [
            "87601h",
            "2400000000h",
            "18446744073709551615ms",
            "99999999999999999999s",
        ] {
            assert!(Dur::parse(text).is_err(), "{text}");
        }
        assert!(Delay::parse("1s..2400000000h").is_err());
        // A value built by hand is bounded where it turns into a date delta.
        let huge = Dur(Duration::from_secs(u64::MAX));
        assert_eq!(huge.as_delta(), Dur::MAX.as_delta());
    }

    #[test]
    fn delays_are_fixed_or_ranges() {
        let fixed = Delay::parse("2s").unwrap();
        assert_eq!(fixed.pick(12345), Duration::from_secs(2));
        let range = Delay::parse("1s..3s").unwrap();
        assert_eq!(range.pick(0), Duration::from_secs(1));
        assert_eq!(range.pick(2000), Duration::from_secs(3));
        assert!((0..1000).all(|d| range.pick(d * 7919) <= Duration::from_secs(3)));
        assert!(Delay::parse("3s..1s").unwrap_err().contains("backwards"));
        assert!(Delay::parse("1s..").is_err());
    }

    #[test]
    fn displays_in_the_largest_whole_unit() {
        for text in ["150ms", "2s", "5m", "1h", "90s"] {
            assert_eq!(Dur::parse(text).unwrap().to_string(), text);
        }
    }
}
