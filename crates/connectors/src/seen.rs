//! Rows (and values) recognised again in constant space each: a 128-bit SipHash-1-3 of their
//! JSON, keyed with random bytes drawn once per process, so nobody can craft two rows that
//! collide (a collision would drop a row from the subject's package).

use std::collections::HashSet;
use std::hash::Hasher as _;
use std::sync::OnceLock;

use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;
use siphasher::sip128::{Hasher128, SipHasher13};

fn keys() -> (u64, u64) {
    static KEYS: OnceLock<(u64, u64)> = OnceLock::new();
    *KEYS.get_or_init(|| {
        let mut bytes = [0u8; 16];
        // Without a random source the keys stay zero: dedup still works, only unkeyed.
        let _ = SystemRandom::new().fill(&mut bytes);
        let (a, b) = bytes.split_at(8);
        (u64::from_le_bytes(a.try_into().unwrap_or_default()), u64::from_le_bytes(b.try_into().unwrap_or_default()))
    })
}

/// The keyed 128-bit digest of `value`'s JSON text.
pub fn digest(value: &Value) -> u128 {
    struct Feed(SipHasher13);
    impl std::io::Write for Feed {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.write(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let (k0, k1) = keys();
    let mut feed = Feed(SipHasher13::new_with_keys(k0, k1));
    // Writing a Value to a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut feed, value);
    feed.0.finish128().as_u128()
}

/// Rows handed over by earlier statements of one read: a row seen in an earlier statement is
/// dropped; identical rows within one statement are all kept (they are the store's rows).
/// Costs 16 bytes per distinct row.
#[derive(Debug, Default)]
pub struct Seen {
    earlier: HashSet<u128>,
    this: Vec<u128>,
}

impl Seen {
    /// Whether `row` was not handed over by an earlier statement (it is remembered for the next).
    pub fn first_time(&mut self, row: &Value) -> bool {
        let digest = digest(row);
        self.this.push(digest);
        !self.earlier.contains(&digest)
    }

    /// The current statement is done: its rows count as earlier from now on.
    pub fn end_statement(&mut self) {
        self.earlier.extend(self.this.drain(..));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn digests_tell_values_apart_and_repeat_for_equal_ones() {
        assert_eq!(digest(&json!({"a": 1})), digest(&json!({"a": 1})));
        assert_ne!(digest(&json!({"a": 1})), digest(&json!({"a": "1"})));
        assert_ne!(digest(&json!(1)), digest(&json!(2)));
    }
}
