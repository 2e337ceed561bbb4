//! Format checks several providers share.

/// The IBAN shape the providers' specs give: two capital letters, two check
/// digits, then 11 to 30 capital letters or digits. Bytes, not `str` slices,
/// so a non-ASCII value is refused rather than split inside a character.
pub(crate) fn is_iban(iban: &str) -> bool {
    let b = iban.as_bytes();
    (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ibans_have_their_shape() {
        for ok in [
            "GB33BUKB20201555555555",
            "DE89370400440532013000",
            "FR7630006000011234567890189",
        ] {
            assert!(super::is_iban(ok), "{ok}");
        }
        for bad in [
            "",
            "GB33",
            "gb33BUKB20201555555555",
            "GBX3BUKB20201555555555",
            "GBé3BUKB2020155555",
            "DE89 3704 0044 0532 0130 00",
        ] {
            assert!(!super::is_iban(bad), "{bad}");
        }
    }
}
