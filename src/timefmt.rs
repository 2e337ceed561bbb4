//! RFC 3339 timestamps written straight into a stack buffer.
//!
//! Every action request carries three timestamps; formatting them through
//! `chrono`'s `to_rfc3339_opts` allocated a string each and went through the
//! `fmt` machinery, which showed in profiles of the hot path.

use chrono::{DateTime, Datelike, Timelike, Utc};

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
        // The calendar of the UTC value itself: `DateTime`'s own accessors
        // go through the local time, adding a zero offset on every call.
        let n = t.naive_utc();
        let (year, month, day) = (n.year(), n.month(), n.day());
        let of_day = n.num_seconds_from_midnight();
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
        let nanos = n.nanosecond() % 1_000_000_000;
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
