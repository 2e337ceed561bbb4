//! RFC 3339 timestamps written straight into a stack buffer.
//!
//! Every action request carries three timestamps; formatting them through
//! `chrono`'s `to_rfc3339_opts` allocated a string each and went through the
//! `fmt` machinery, which showed in profiles of the hot path.

use chrono::{DateTime, Utc};

/// How many digits of fractional seconds to write.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Precision {
    Seconds,
    Millis,
    Nanos,
}

/// `2019-11-28T17:08:17.455967000Z` and its shorter forms, as a buffer.
pub(crate) struct Stamp {
    buf: [u8; 30],
    len: usize,
}

impl Stamp {
    pub(crate) fn new(t: &DateTime<Utc>, precision: Precision) -> Self {
        let mut buf = [0u8; 30];
        // From the Unix time in one go: chrono's calendar accessors each
        // convert the date again.
        let secs = t.timestamp();
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let of_day = secs.rem_euclid(86_400) as u32;
        put(&mut buf[0..4], year.clamp(0, 9999) as u32, 4);
        buf[4] = b'-';
        put(&mut buf[5..7], month, 2);
        buf[7] = b'-';
        put(&mut buf[8..10], day, 2);
        buf[10] = b'T';
        put(&mut buf[11..13], of_day / 3600, 2);
        buf[13] = b':';
        put(&mut buf[14..16], of_day / 60 % 60, 2);
        buf[16] = b':';
        put(&mut buf[17..19], of_day % 60, 2);
        // A leap second is carried in the nanoseconds; keep them below 1 s.
        let nanos = t.timestamp_subsec_nanos() % 1_000_000_000;
        let len = match precision {
            Precision::Seconds => 19,
            Precision::Millis => {
                buf[19] = b'.';
                put(&mut buf[20..23], nanos / 1_000_000, 3);
                23
            }
            Precision::Nanos => {
                buf[19] = b'.';
                put(&mut buf[20..29], nanos, 9);
                29
            }
        };
        buf[len] = b'Z';
        Self { buf, len: len + 1 }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits and separators are written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The text as bytes, for writers that take bytes: no UTF-8 check.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Year, month and day of the proleptic Gregorian calendar from days since
/// 1970-01-01 (H. Hinnant's `civil_from_days`): eras of 400 years, with the
/// year starting in March so that the leap day comes last.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    (era * 400 + year_of_era + i64::from(month <= 2), month, day)
}

fn put(out: &mut [u8], mut value: u32, width: usize) {
    for slot in out[..width].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `2022-03-18T14:50:04Z`, as Solaris writes.
pub(crate) fn seconds(t: &DateTime<Utc>) -> String {
    Stamp::new(t, Precision::Seconds).as_str().to_owned()
}

/// `2021-05-11T09:55:17.000Z`, as Intergiro, Weavr and the control API write.
pub(crate) fn millis(t: &DateTime<Utc>) -> String {
    Stamp::new(t, Precision::Millis).as_str().to_owned()
}

/// `serialize_with` helper for nanosecond timestamps.
pub(crate) fn nanos<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(Stamp::new(t, Precision::Nanos).as_str())
}

#[cfg(test)]
mod tests {
    use chrono::SecondsFormat;

    use super::*;

    #[test]
    fn agrees_with_chrono() {
        for raw in [
            "2019-11-28T17:08:17.455967000Z",
            "2026-01-01T00:00:00Z",
            "0999-12-31T23:59:59.999999999Z",
            "2030-05-01T10:03:00.000000001Z",
            "1969-12-31T23:59:59.5Z",
            "2000-02-29T12:00:00Z",
            "2100-03-01T00:00:00Z",
            "1900-02-28T23:59:59Z",
        ] {
            let t = DateTime::parse_from_rfc3339(raw).unwrap().to_utc();
            for (precision, format) in [
                (Precision::Seconds, SecondsFormat::Secs),
                (Precision::Millis, SecondsFormat::Millis),
                (Precision::Nanos, SecondsFormat::Nanos),
            ] {
                assert_eq!(
                    Stamp::new(&t, precision).as_str(),
                    t.to_rfc3339_opts(format, true),
                    "{raw} {precision:?}"
                );
            }
        }
    }

    #[test]
    fn every_day_of_four_centuries_agrees_with_chrono() {
        let start = DateTime::parse_from_rfc3339("1900-01-01T23:59:58Z")
            .unwrap()
            .to_utc();
        for day in 0..(400 * 366) {
            let t = start + chrono::Duration::days(day);
            assert_eq!(
                Stamp::new(&t, Precision::Seconds).as_str(),
                t.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
        }
    }
}
