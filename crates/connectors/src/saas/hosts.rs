//! Which hosts a SaaS connector may reach: `allowed_values` patterns of endpoint params, and
//! the addresses no outbound call may go to (loopback, private, link-local and other
//! non-public ranges; CVE-2023-46124 was Fides reaching them).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `host` (a port, if any, is ignored) matches one of `patterns`: whole-string,
/// case-insensitive, trimmed; `*` stands for one or more of `[a-zA-Z0-9._-]`. No patterns
/// means any host (a self-hosted API).
pub fn allowed(patterns: &[String], host: &str) -> bool {
    let host = strip_port(host.trim()).to_ascii_lowercase();
    patterns.is_empty() || patterns.iter().any(|p| matches(&p.trim().to_ascii_lowercase(), &host))
}

/// `host` without a trailing `:port` (IPv6 literals in brackets keep their colons).
pub fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn matches(pattern: &str, host: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else { return pattern == host };
    let Some(tail) = host.strip_prefix(head) else { return false };
    // `*`: one or more allowed characters, then the rest of the pattern.
    let run = tail.bytes().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')).count();
    (1..=run).any(|n| matches(rest, &tail[n..]))
}

/// Why `ip` may not be called, if it is not a public unicast address.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => non_public_v4(v4),
            None => non_public_v6(v6),
        },
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private (RFC 1918)")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space (CGNAT)")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("broadcast, multicast or reserved")
    } else if ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) || (a == 192 && b == 0 && ip.octets()[2] == 0)
    {
        Some("reserved for documentation, benchmarking or protocol assignments")
    } else {
        None
    }
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique local (ULA)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("reserved for documentation")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        // NAT64 of an IPv4 address: judge the embedded address.
        let [.., c, d] = ip.segments();
        non_public_v4(Ipv4Addr::from(u32::from(c) << 16 | u32::from(d)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_hosts_with_star_for_one_or_more_name_characters() {
        let stripe = vec!["api.stripe.com".to_owned()];
        assert!(allowed(&stripe, "api.stripe.com"));
        assert!(allowed(&stripe, " API.Stripe.com:443 "));
        assert!(!allowed(&stripe, "api.stripe.com.evil.io"));
        assert!(!allowed(&stripe, "evil.io/api.stripe.com"));
        let tenant = vec!["*.zendesk.com".to_owned()];
        assert!(allowed(&tenant, "acme.zendesk.com"));
        assert!(allowed(&tenant, "a.b.zendesk.com"));
        assert!(!allowed(&tenant, ".zendesk.com"));
        assert!(!allowed(&tenant, "acme.zendesk.com@evil.io"));
        assert!(!allowed(&tenant, "evil.io#.zendesk.com"));
        assert!(allowed(&[], "anything.example"));
    }

    #[test]
    fn ports_are_stripped_from_names_and_bracketed_literals() {
        assert_eq!(strip_port("api.example.com:8443"), "api.example.com");
        assert_eq!(strip_port("api.example.com"), "api.example.com");
        assert_eq!(strip_port("[::1]:8443"), "::1");
        assert_eq!(strip_port("::1"), "::1");
    }

    #[test]
    fn only_public_unicast_addresses_may_be_called() {
        // IANA special-purpose registries (RFC 6890 and successors) are the known answers.
        for blocked in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            let ip: IpAddr = blocked.parse().unwrap();
            assert!(non_public(ip).is_some(), "{blocked} must be refused");
        }
        for public in
            ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "54.187.216.72", "2606:4700::1111", "64:ff9b::808:808"]
        {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(non_public(ip), None, "{public} is public");
        }
    }
}
