//! Date-times of credentials and proofs: RFC 3339 with a mandatory offset, which is
//! the XML Schema `dateTimeStamp` the VC Data Model 2.0 (§4.9) and Data Integrity
//! (`created`, `expires`) require. Converted to unix seconds; the clock is the
//! caller's.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// The longest date-time string looked at (RFC 3339 with nanoseconds and an
/// offset is 35 bytes).
const MAX_LEN: usize = 64;

/// Parses an RFC 3339 date-time (offset required) to unix seconds, rounding a
/// fractional second down. `None` when it is not one.
#[must_use]
pub fn parse_datetime(s: &str) -> Option<i64> {
    if s.len() > MAX_LEN {
        return None;
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Formats unix seconds as `YYYY-MM-DDTHH:MM:SSZ`. `None` outside years 0–9999.
#[must_use]
pub fn format_datetime(unix: i64) -> Option<String> {
    let dt = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    if !(0..=9999).contains(&dt.year()) {
        return None;
    }
    dt.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .ok()
}
