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
        let year = t.year().clamp(0, 9999) as u32;
        put(&mut buf[0..4], year, 4);
        buf[4] = b'-';
        put(&mut buf[5..7], t.month(), 2);
        buf[7] = b'-';
        put(&mut buf[8..10], t.day(), 2);
        buf[10] = b'T';
        put(&mut buf[11..13], t.hour(), 2);
        buf[13] = b':';
        put(&mut buf[14..16], t.minute(), 2);
        buf[16] = b':';
        put(&mut buf[17..19], t.second(), 2);
        // A leap second is carried in the nanoseconds; keep them below 1 s.
        let nanos = t.nanosecond() % 1_000_000_000;
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
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
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
}
