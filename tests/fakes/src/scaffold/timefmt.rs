//! RFC 3339 timestamps in UTC, with as many fraction digits as the imitated system writes (GKE's
//! container API nanoseconds, Grafana's Go whole seconds, Azure's .NET seven). Model time is mapped onto
//! the wall clock at the fake's start, so timestamps read like real ones and still move with the model
//! clock.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wall time at model time zero.
#[derive(Clone, Copy, Debug)]
pub struct Epoch(Duration);

impl Epoch {
    pub fn now() -> Epoch {
        // A clock before 1970 only happens on a broken machine; zero keeps timestamps well-formed there.
        Epoch(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default())
    }

    /// The RFC 3339 text of model time `model_ms`, with `digits` fraction digits.
    pub fn rfc3339(&self, model_ms: u64, digits: usize) -> String {
        rfc3339(self.0 + Duration::from_millis(model_ms), digits)
    }

    /// Milliseconds since the Unix epoch at model time `model_ms` (for names that embed a timestamp).
    pub fn unix_ms(&self, model_ms: u64) -> u64 {
        (self.0 + Duration::from_millis(model_ms)).as_millis() as u64
    }
}

/// `since_epoch` as `YYYY-MM-DDThh:mm:ss[.f...]Z` with `digits` (at most 9) fraction digits, cut, not
/// rounded; none at 0.
pub fn rfc3339(since_epoch: Duration, digits: usize) -> String {
    let secs = since_epoch.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let nanos = format!("{:09}", since_epoch.subsec_nanos());
    let fraction = match digits.min(9) {
        0 => String::new(),
        n => format!(".{}", &nanos[..n]),
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard Hinnant's
/// algorithm; exact for every date a test can produce).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(Duration::ZERO, 9), "1970-01-01T00:00:00.000000000Z");
        // 2024-02-29T12:34:56.5Z, a leap day.
        assert_eq!(
            rfc3339(Duration::from_millis(1_709_210_096_500), 9),
            "2024-02-29T12:34:56.500000000Z"
        );
        assert_eq!(
            rfc3339(Duration::from_millis(1_709_210_096_567), 7),
            "2024-02-29T12:34:56.5670000Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(4_102_444_799), 9),
            "2099-12-31T23:59:59.000000000Z"
        );
        assert_eq!(rfc3339(Duration::from_secs(1_700_000_000), 0), "2023-11-14T22:13:20Z");
    }
}
