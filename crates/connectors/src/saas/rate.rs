//! Rate limits of SaaS requests (`rate_limit_config`): fixed windows per limit, shared by every
//! request of one connection in this process (Fides keeps them in Redis; without Redis it does
//! not limit at all). A call waits for the next window of the longest limit it would break,
//! and gives up after that period plus 5 s (at most 120 s), as Fides does.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::config::RateLimitConfig;

/// Calls counted per `<key>:<period>:<window start>`.
fn windows() -> &'static Mutex<HashMap<String, (u64, u32)>> {
    static WINDOWS: OnceLock<Mutex<HashMap<String, (u64, u32)>>> = OnceLock::new();
    WINDOWS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Waits until a call of connection `key` fits every limit of `config`, and counts it.
pub fn acquire(key: &str, config: Option<&RateLimitConfig>) -> Result<(), String> {
    let Some(config) = config.filter(|c| c.enabled.unwrap_or(true) && !c.limits.is_empty()) else { return Ok(()) };
    let longest = config.limits.iter().map(|l| l.period.seconds()).max().unwrap_or(1);
    let give_up = Duration::from_secs((longest + 5).min(120));
    let started = now();
    loop {
        let at = now();
        let wait = {
            let mut windows = windows().lock().map_err(|_| "the rate limiter is unusable".to_owned())?;
            let slots: Vec<(String, u64, u32)> = config
                .limits
                .iter()
                .map(|limit| {
                    let period = limit.period.seconds();
                    let name = format!("{}:{period}", limit.custom_key.as_deref().unwrap_or(key));
                    (name, at.as_secs() / period * period, limit.rate)
                })
                .collect();
            let breached = slots.iter().zip(&config.limits).filter(|((name, start, rate), _)| {
                windows.get(name).is_some_and(|(window, count)| window == start && count >= rate)
            });
            match breached.map(|((_, start, _), limit)| start + limit.period.seconds()).max() {
                None => {
                    for (name, start, _) in slots {
                        let entry = windows.entry(name).or_insert((start, 0));
                        if entry.0 != start {
                            *entry = (start, 0);
                        }
                        entry.1 += 1;
                    }
                    return Ok(());
                }
                Some(next_window) => Duration::from_secs(next_window).saturating_sub(at),
            }
        };
        if now() - started + wait > give_up {
            return Err(format!(
                "the rate limit of connection '{key}' would be exceeded for longer than {} s",
                give_up.as_secs()
            ));
        }
        std::thread::sleep(wait.max(Duration::from_millis(5)));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::saas::config::{Period, RateLimit};

    #[test]
    fn calls_beyond_the_rate_wait_for_the_next_window() {
        let config = RateLimitConfig {
            enabled: None,
            limits: vec![RateLimit { rate: 2, period: Period::Second, custom_key: None }],
        };
        let mut windows = Vec::new();
        for _ in 0..5 {
            acquire("rate-test", Some(&config)).unwrap();
            windows.push(now().as_secs());
        }
        // Two calls per one-second window: the fifth is made two windows after the first.
        assert!(windows[4] >= windows[0] + 2, "{windows:?}");
        assert!(windows[2] > windows[0], "{windows:?}");
        // Other connections are not held back, and a switched-off config never waits.
        let started = Instant::now();
        acquire("another", Some(&config)).unwrap();
        let off = RateLimitConfig { enabled: Some(false), limits: Vec::new() };
        for _ in 0..10 {
            acquire("rate-test", Some(&off)).unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
