//! Wall-clock time as RFC 3339 text, and back (jiff): the engine records times in state files and
//! compares lease renewals.
use std::time::SystemTime;

use jiff::Timestamp;

pub fn now_rfc3339() -> String {
    format_rfc3339(SystemTime::now())
}

/// Milliseconds included: the state's step times are read to measure where an apply's time went.
pub fn format_rfc3339(time: SystemTime) -> String {
    match Timestamp::try_from(time) {
        Ok(timestamp) => timestamp.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        // Outside jiff's range (years -9999..=9999): no clock of this machine says so.
        Err(_) => "1970-01-01T00:00:00.000Z".to_string(),
    }
}

/// RFC 3339 (`2026-11-28T09:00:00Z`, fractions and offsets allowed); None for other forms.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    text.parse::<Timestamp>()
        .ok()
        .map(|timestamp| SystemTime::try_from(timestamp).ok())?
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn round_trips_and_reads_fractions() {
        let t = parse_rfc3339("2026-11-28T09:00:00Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-28T09:00:00.000Z");
        let fine = parse_rfc3339("2026-11-28T09:00:00.250000Z").unwrap();
        assert_eq!(fine.duration_since(t).unwrap(), Duration::from_millis(250));
        assert_eq!(format_rfc3339(fine), "2026-11-28T09:00:00.250Z");
        assert_eq!(parse_rfc3339("2026-11-28T10:00:00+01:00"), Some(t));
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
