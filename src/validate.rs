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

/// A BIC (ISO 9362): four letters of the bank, two of the country, two
/// letters or digits of the place, and an optional branch of three.
pub(crate) fn is_bic(bic: &str) -> bool {
    let b = bic.as_bytes();
    matches!(b.len(), 8 | 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// An address of the shape `format: email` asks for: one `@` between a
/// local part and a dotted domain, no white space, at most 254 bytes.
pub(crate) fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"@()<>[]:;,\\\"".contains(&b))
        && domain.contains('.')
        && domain.split('.').all(label_ok)
}

/// Whether `s` is an absolute `http` or `https` URL that is safe to redirect
/// to: it parses as a URI (which refuses white space, control characters
/// and backslashes, so nothing can smuggle in a header or a second URL),
/// with a scheme of its own and a host.
pub(crate) fn is_web_url(s: &str) -> bool {
    let Ok(uri) = s.parse::<hyper::Uri>() else {
        return false;
    };
    let web = matches!(
        uri.scheme_str().map(str::to_ascii_lowercase).as_deref(),
        Some("http" | "https")
    );
    web && s.len() <= 2048 && uri.host().is_some_and(|h| !h.is_empty())
}

/// `Host` without its port, in lower case and without a trailing dot (an
/// IPv6 literal keeps its brackets).
pub(crate) fn host_name(host: &str) -> String {
    let name = if host.starts_with('[') {
        // An IPv6 literal only when nothing but a port follows its `]`:
        // `[::1].evil.example` is a name, and no address.
        match host.find(']') {
            Some(i) if is_port_suffix(&host[i + 1..]) => &host[..=i],
            _ => host,
        }
    } else {
        host.split(':').next().unwrap_or(host)
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Nothing, or `:` and digits.
fn is_port_suffix(rest: &str) -> bool {
    rest.is_empty()
        || rest
            .strip_prefix(':')
            .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bics_have_their_shape() {
        for ok in ["COBADEFFXXX", "COBADEFF", "NDEASESS", "DEUTDE2H123"] {
            assert!(super::is_bic(ok), "{ok}");
        }
        for bad in [
            "",
            "COBADEF",
            "cobadeffxxx",
            "COBADEFFXX",
            "C0BADEFF",
            "COBADÉFF",
        ] {
            assert!(!super::is_bic(bad), "{bad}");
        }
    }

    #[test]
    fn emails_have_their_shape() {
        for ok in ["buyer@example.com", "a.b+c@mail.example.co.uk"] {
            assert!(super::is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@@example.com",
            "a@-x.com",
        ] {
            assert!(!super::is_email(bad), "{bad}");
        }
    }

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
