//! Per-address rate limiting of public routes (GCRA, via `governor`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
