//! Timestamps: UTC everywhere, microsecond precision so both backends store the same value.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// The current UTC time, truncated to microseconds (PostgreSQL's `timestamp` precision), as
/// stored in `Timestamp` columns.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored `Timestamp` (UTC by convention) as a UTC date-time for the wire.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

/// Formats a stored UTC timestamp as RFC 3339 for the wire.
pub fn to_rfc3339(at: NaiveDateTime) -> String {
    utc(at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
