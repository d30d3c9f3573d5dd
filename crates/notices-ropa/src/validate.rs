//! Input rules: slugs, names, external URLs, and the compliance-gap rule.

use std::net::{Ipv4Addr, Ipv6Addr};

use validation::text;

use validation::Problem;

/// Slugs route URLs (`/spaces/{slug}`); `org` would collide with `/spaces/org/{org_slug}`.
pub(crate) const RESERVED_SLUGS: &[&str] = &["org"];
const MAX_SLUG: usize = 64;
const MAX_TEXT: usize = text::NAME_MAX;
const MAX_URL: usize = 2048;

/// Lowercase letters, digits and single hyphens between them; at most 64 characters.
pub(crate) fn slug(field: &str, value: &str, issues: &mut Vec<Problem>) {
    let well_formed = !value.is_empty()
        && value.len() <= MAX_SLUG
        && value
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if !well_formed {
        issues.push(Problem::new(
            validation::loc![field],
            "Slug must be 1-64 lowercase letters, digits and hyphens, not starting or ending with a hyphen",
        ));
    } else if RESERVED_SLUGS.contains(&value) {
        issues.push(Problem::new(validation::loc![field], format!("Slug '{value}' is reserved")));
    }
}

/// A required, non-blank text of bounded length (as given, as the schema's `maxLength`
/// counts); returns it trimmed.
pub(crate) fn required(field: &str, value: &str, issues: &mut Vec<Problem>) -> String {
    if text::is_blank(value) {
        issues.push(Problem::new(validation::loc![field], "Field must not be empty"));
    } else if text::chars(value) > MAX_TEXT {
        issues.push(Problem::new(validation::loc![field], format!("Field must be at most {MAX_TEXT} characters")));
    }
    value.trim().to_owned()
}

/// An optional text of bounded length (as given): trimmed, blank becomes absent.
pub(crate) fn optional(field: &str, value: Option<String>, issues: &mut Vec<Problem>) -> Option<String> {
    let value = value?;
    if text::chars(&value) > text::TEXT_MAX {
        issues.push(Problem::new(
            validation::loc![field],
            format!("Field must be at most {} characters", text::TEXT_MAX),
        ));
    }
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A list of texts: items trimmed, blanks dropped.
pub(crate) fn list(values: Vec<String>) -> Vec<String> {
    values.into_iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect()
}

/// An external http(s) URL: parsed, with a public host name or address (no loopback, private,
/// link-local or single-label intranet hosts). Returns the normalised URL.
pub(crate) fn external_url(field: &str, value: Option<String>, issues: &mut Vec<Problem>) -> Option<String> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())?;
    match check_url(&value) {
        Ok(url) => Some(url),
        Err(message) => {
            issues.push(Problem::new(validation::loc![field], message));
            None
        }
    }
}

fn check_url(value: &str) -> Result<String, String> {
    if value.len() > MAX_URL {
        return Err(format!("URL must be at most {MAX_URL} characters"));
    }
    let url = url::Url::parse(value).map_err(|e| format!("Invalid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("URL scheme must be http or https, not '{}'", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URL must not contain credentials".to_owned());
    }
    let internal = match url.host() {
        None => return Err("URL must have a host".to_owned()),
        Some(url::Host::Ipv4(ip)) => !is_public_v4(ip),
        Some(url::Host::Ipv6(ip)) => !is_public_v6(ip),
        Some(url::Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            !domain.contains('.')
                || ["localhost", "local", "internal", "localdomain", "home.arpa", "intranet", "lan"]
                    .iter()
                    .any(|suffix| domain == *suffix || domain.ends_with(&format!(".{suffix}")))
        }
    };
    if internal {
        return Err("URL must point to an external host, not a loopback, private or internal one".to_owned());
    }
    Ok(url.to_string())
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

/// True when a sensitivity label indicates personal or health data (`PII`, `PHI`, `Sensitive PII`…).
pub(crate) fn indicates_pii_or_phi(sensitivity: Option<&str>) -> bool {
    sensitivity.is_some_and(|s| {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| word.eq_ignore_ascii_case("pii") || word.eq_ignore_ascii_case("phi"))
    })
}

/// A product has a compliance gap when its sensitivity indicates PII or PHI and it has no
/// lawful basis.
pub(crate) fn has_compliance_gap(sensitivity: Option<&str>, lawful_basis: Option<&str>) -> bool {
    indicates_pii_or_phi(sensitivity) && lawful_basis.is_none_or(|b| b.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug_ok(value: &str) -> bool {
        let mut issues = Vec::new();
        slug("slug", value, &mut issues);
        issues.is_empty()
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        for good in ["acme", "marketing-analytics", "eu-2", "a"] {
            assert!(slug_ok(good), "{good}");
        }
        for bad in ["", "Acme", "a_b", "-a", "a-", "a--b", "a b", "ünï", &"a".repeat(65), "org"] {
            assert!(!slug_ok(bad), "{bad}");
        }
    }

    #[test]
    fn external_urls_are_accepted_and_normalised() {
        assert_eq!(check_url("https://example.com/privacy").unwrap(), "https://example.com/privacy");
        assert_eq!(check_url("HTTP://Example.COM").unwrap(), "http://example.com/");
        assert!(check_url("https://8.8.8.8/policy").is_ok());
        assert!(check_url("https://[2606:4700::1111]/").is_ok());
    }

    #[test]
    fn other_schemes_malformed_urls_and_internal_hosts_are_rejected() {
        for bad in [
            "ftp://example.com/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "not a url",
            "https://",
            "http://localhost/x",
            "http://api.localhost/",
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://10.0.0.8/",
            "http://172.16.4.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://intranet/",
            "http://printer.local/",
            "http://db.internal/",
            "https://user:pw@example.com/",
        ] {
            assert!(check_url(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn public_and_internal_addresses_are_told_apart() {
        assert!(is_public_v4(Ipv4Addr::new(1, 1, 1, 1)));
        assert!(!is_public_v4(Ipv4Addr::new(192, 168, 0, 1)));
        assert!(!is_public_v6(Ipv6Addr::LOCALHOST));
        assert!(is_public_v6("2606:4700::1111".parse().unwrap()));
    }

    #[test]
    fn compliance_gap_needs_pii_or_phi_and_no_lawful_basis() {
        assert!(has_compliance_gap(Some("PII"), None));
        assert!(has_compliance_gap(Some("Sensitive PII"), Some("  ")));
        assert!(has_compliance_gap(Some("phi"), None));
        assert!(!has_compliance_gap(Some("PII"), Some("Consent")));
        assert!(!has_compliance_gap(Some("Internal"), None));
        assert!(!has_compliance_gap(Some("PIIX"), None));
        assert!(!has_compliance_gap(None, None));
    }
}
