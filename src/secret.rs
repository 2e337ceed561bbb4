//! Comparing secrets without leaking how much of a guess was right.

/// Constant-time equality of two secrets. The length is not secret (it is
/// published in every provider's docs), so unequal lengths return at once.
pub(crate) fn eq(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn compares_whole_values() {
        assert!(super::eq("212212", "212212"));
        assert!(!super::eq("212212", "212213"));
        assert!(!super::eq("212212", "21221"));
        assert!(super::eq("", ""));
    }
}
