//! How the pages show values to a person: what a pending item is about, money,
//! IBANs in groups of four, card numbers masked, and times relative to the
//! sandbox clock with the exact time on hover. Pages only: the APIs answer in
//! the providers' own formats.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a pending item or a consent page is about, for a person to read.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Summary {
    pub(crate) title: String,
    pub(crate) amount: Option<String>,
    pub(crate) payee: Option<String>,
    pub(crate) iban: Option<String>,
    pub(crate) reference: Option<String>,
    /// Always masked: see [`mask_card`].
    pub(crate) card: Option<String>,
    pub(crate) account: Option<String>,
}

/// An amount in minor units with `exponent` decimals, thousands grouped as
/// a statement prints them: `1,299.00 EUR`.
pub(crate) fn money(minor: i64, exponent: u32, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{} {currency}", thousands(abs));
    }
    let scale = 10u64.pow(exponent);
    format!(
        "{sign}{}.{:0width$} {currency}",
        thousands(abs / scale),
        abs % scale,
        width = exponent as usize
    )
}

/// An amount given in major units (a provider that counts whole euros): `234.00 EUR`.
pub(crate) fn major_money(amount: f64, currency: &str) -> String {
    let cents = (amount * 100.0).round();
    if cents.is_finite() && cents.abs() < 9e15 {
        money(cents as i64, 2, currency)
    } else {
        format!("{amount:.2} {currency}")
    }
}

/// `1299` as `1,299`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Gives each pending item of `items` (a JSON array) a `words` field: its
/// `field`, a provider's code, as a demo audience reads it. The page shows
/// the words and keeps the code for a tooltip.
pub(crate) fn add_words(
    mut items: serde_json::Value,
    field: &str,
    words: fn(&str) -> &'static str,
) -> serde_json::Value {
    if let Some(list) = items.as_array_mut() {
        for item in list {
            let said = item[field].as_str().map(words);
            if let (Some(said), Some(object)) = (said, item.as_object_mut()) {
                object.insert("words".to_owned(), said.into());
            }
        }
    }
    items
}

/// `DE89 3704 0044 0532 0130 00`: as printed on a statement, so a person can
/// read it aloud.
pub(crate) fn group_iban(iban: &str) -> String {
    let compact: Vec<char> = iban.chars().filter(|c| !c.is_whitespace()).collect();
    compact
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `•••• 1115`: only the last four digits of a card number ever reach a page.
pub(crate) fn mask_card(pan: &str) -> String {
    let digits: Vec<char> = pan.chars().filter(char::is_ascii_digit).collect();
    let last = &digits[digits.len().saturating_sub(4)..];
    format!("•••• {}", last.iter().collect::<String>())
}

/// `in 2 min`, `3 s ago`, `now`: how far `at` is from the sandbox's `now`.
pub(crate) fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    let span = seconds.unsigned_abs();
    let amount = match span {
        0 => return "now".to_owned(),
        1..=59 => format!("{span} s"),
        60..=3_599 => format!("{} min", span / 60),
        3_600..=86_399 => format!("{} h", span / 3_600),
        _ => format!("{} d", span / 86_400),
    };
    if seconds > 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// `2026-12-02 16:10:05 UTC`: the exact time, for the hover.
pub(crate) fn exact(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A time as the stores and the control API write it (RFC 3339).
pub(crate) fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn money_keeps_the_currency_s_decimals() {
        assert_eq!(money(1000, 2, "EUR"), "10.00 EUR");
        assert_eq!(money(5, 2, "GBP"), "0.05 GBP");
        assert_eq!(money(-1234, 2, "EUR"), "-12.34 EUR");
        assert_eq!(money(1500, 0, "JPY"), "1,500 JPY");
        assert_eq!(major_money(234.0, "EUR"), "234.00 EUR");
        assert_eq!(major_money(2.5, "EUR"), "2.50 EUR");
    }

    #[test]
    fn thousands_are_grouped_as_a_statement_prints_them() {
        assert_eq!(money(129_900, 2, "EUR"), "1,299.00 EUR");
        assert_eq!(money(-100_000_000, 2, "EUR"), "-1,000,000.00 EUR");
        assert_eq!(money(99_999, 2, "EUR"), "999.99 EUR");
        assert_eq!(major_money(1299.0, "EUR"), "1,299.00 EUR");
    }

    #[test]
    fn ibans_are_grouped_by_four_and_cards_show_four_digits() {
        assert_eq!(
            group_iban("DE89370400440532013000"),
            "DE89 3704 0044 0532 0130 00"
        );
        assert_eq!(group_iban("DE89 3704 0044"), "DE89 3704 0044");
        assert_eq!(mask_card("5555341244441115"), "•••• 1115");
        assert_eq!(mask_card("5555 3412 4444 1115"), "•••• 1115");
        assert_eq!(mask_card("12"), "•••• 12");
    }

    #[test]
    fn times_read_relative_to_the_sandbox_clock() {
        let now = parse("2026-12-02T16:00:00Z").unwrap();
        let at = |s: i64| now + TimeDelta::seconds(s);
        assert_eq!(relative(at(0), now), "now");
        assert_eq!(relative(at(-3), now), "3 s ago");
        assert_eq!(relative(at(150), now), "in 2 min");
        assert_eq!(relative(at(-7_200), now), "2 h ago");
        assert_eq!(relative(at(3 * 86_400), now), "in 3 d");
        assert_eq!(exact(at(5)), "2026-12-02 16:00:05 UTC");
        assert!(parse("soon").is_none());
    }
}
