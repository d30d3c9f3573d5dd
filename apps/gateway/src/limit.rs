//! Per-address limits: a request rate for public routes (GCRA, via `governor`), a failure
//! budget for token requests, and the client address they key on.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Addresses kept before idle ones are forgotten.
const FORGET_ABOVE: usize = 10_000;

/// Limits requests per client address.
pub struct AddressLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    per_minute: u32,
}

impl AddressLimiter {
    /// At most `per_minute` requests per minute per address (bursts up to that many).
    pub fn per_minute(per_minute: u32) -> AddressLimiter {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        AddressLimiter { limiter: RateLimiter::keyed(quota), per_minute: per_minute.max(1) }
    }

    /// `Ok` when `address` may go on; otherwise how long it has to wait.
    pub fn check(&self, address: IpAddr) -> Result<(), Duration> {
        if self.limiter.len() > FORGET_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&address).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// The configured rate, for messages.
    pub fn per_minute_limit(&self) -> u32 {
        self.per_minute
    }
}

/// Failures one address may have in a sliding minute before it is refused: only failures are
/// counted, so a client that authenticates never runs into it.
pub struct FailureLimiter {
    per_minute: usize,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl FailureLimiter {
    /// At most `per_minute` failures per address within any 60 seconds.
    pub fn per_minute(per_minute: u32) -> FailureLimiter {
        FailureLimiter {
            per_minute: usize::try_from(per_minute.max(1)).unwrap_or(usize::MAX),
            failures: Mutex::default(),
        }
    }

    /// `Some(wait)` when `address` used up its failures: how long until it may try again.
    pub fn blocked(&self, address: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().ok()?;
        let recent = failures.get_mut(&address)?;
        while recent.front().is_some_and(|at| now.duration_since(*at) >= WINDOW) {
            recent.pop_front();
        }
        if recent.len() < self.per_minute {
            return None;
        }
        recent.front().map(|oldest| WINDOW.saturating_sub(now.duration_since(*oldest)))
    }

    /// Counts one failure of `address`.
    pub fn record(&self, address: IpAddr) {
        let now = Instant::now();
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() > FORGET_ABOVE {
            failures.retain(|_, recent| recent.back().is_some_and(|at| now.duration_since(*at) < WINDOW));
        }
        let recent = failures.entry(address).or_default();
        recent.push_back(now);
        while recent.len() > self.per_minute {
            recent.pop_front();
        }
    }

    /// The configured budget, for messages.
    pub fn per_minute_limit(&self) -> usize {
        self.per_minute
    }
}

/// Where the client of a request is: the peer's address, or — when a trusted reverse proxy is
/// configured — the last address of the header that proxy sets.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress {
    trusted_header: Option<HeaderName>,
}

impl ClientAddress {
    /// Reads the client from `trusted_header` when given (`X-Forwarded-For`).
    pub fn new(trusted_header: Option<&str>) -> ClientAddress {
        ClientAddress { trusted_header: trusted_header.and_then(|h| HeaderName::from_bytes(h.trim().as_bytes()).ok()) }
    }

    /// The client's address; `None` when nothing says.
    pub fn of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let forwarded = self.trusted_header.as_ref().and_then(|name| {
            // The proxy appends what it saw; earlier entries come from the client and can be forged.
            let value = req.headers().get_all(name).last()?.to_str().ok()?;
            let last = value.rsplit(',').next()?.trim();
            last.parse::<IpAddr>().ok().or_else(|| last.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        });
        forwarded.or_else(|| req.peer_addr().map(|a| a.ip()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_recorded_failures_count_and_they_expire() {
        let limiter = FailureLimiter::per_minute(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(limiter.blocked(a), None);
        limiter.record(a);
        assert_eq!(limiter.blocked(a), None);
        limiter.record(a);
        let wait = limiter.blocked(a).unwrap();
        assert!(wait > Duration::from_secs(55) && wait <= WINDOW, "{wait:?}");
        assert_eq!(limiter.blocked("10.0.0.2".parse().unwrap()), None, "other addresses keep their budget");
    }

    #[test]
    fn the_client_is_the_peer_unless_a_proxy_header_is_trusted() {
        let req = actix_web::test::TestRequest::default()
            .peer_addr("192.0.2.9:4000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "203.0.113.7, 198.51.100.3"))
            .to_http_request();
        assert_eq!(ClientAddress::new(None).of(&req), Some("192.0.2.9".parse().unwrap()));
        let proxied = ClientAddress::new(Some("x-forwarded-for"));
        assert_eq!(proxied.of(&req), Some("198.51.100.3".parse().unwrap()), "the entry the proxy added");
        let direct =
            actix_web::test::TestRequest::default().peer_addr("192.0.2.9:4000".parse().unwrap()).to_http_request();
        assert_eq!(proxied.of(&direct), Some("192.0.2.9".parse().unwrap()), "no header: the peer");
    }

    #[test]
    fn each_address_gets_its_own_budget() {
        let limiter = AddressLimiter::per_minute(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter.check(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(limiter.check(b).is_ok());
    }
}
