//! Kubernetes storage quantities (`600Gi`, `1Ti`, `500G`, `10737418240`) as bytes and back.

pub const GIB: u64 = 1 << 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a storage size (write it like `600Gi`, `1Ti` or a number of bytes)")]
pub struct QuantityError(pub String);

/// Bytes in a quantity; fractions are rounded up (a disk is never smaller than asked).
pub fn parse_bytes(text: &str) -> Result<u64, QuantityError> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, suffix) = trimmed.split_at(split);
    let multiplier: u64 = match suffix {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        _ => return Err(QuantityError(text.to_string())),
    };
    let error = || QuantityError(text.to_string());
    if number.is_empty() {
        return Err(error());
    }
    match number.split_once('.') {
        None => number
            .parse::<u64>()
            .map_err(|_| error())?
            .checked_mul(multiplier)
            .ok_or_else(error),
        Some((whole, fraction)) => {
            let whole: u64 = if whole.is_empty() {
                0
            } else {
                whole.parse().map_err(|_| error())?
            };
            if fraction.is_empty() || fraction.len() > 9 || !fraction.chars().all(|c| c.is_ascii_digit()) {
                return Err(error());
            }
            let scale = 10u128.pow(fraction.len() as u32);
            let fraction: u128 = fraction.parse().map_err(|_| error())?;
            let bytes = whole as u128 * multiplier as u128 + (fraction * multiplier as u128).div_ceil(scale);
            u64::try_from(bytes).map_err(|_| error())
        }
    }
}

/// Whole gibibytes, rounded up: `644245094400` -> `600Gi`.
pub fn format_gib_ceil(bytes: u64) -> String {
    format!("{}Gi", bytes.div_ceil(GIB))
}

/// A short human form for reports: `5.2 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    let number = format!("{value:.1}");
    format!("{} {}", number.strip_suffix(".0").unwrap_or(&number), UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_sizes() {
        assert_eq!(parse_bytes("600Gi").unwrap(), 600 * GIB);
        assert_eq!(parse_bytes("1Ti").unwrap(), 1024 * GIB);
        assert_eq!(parse_bytes("500G").unwrap(), 500_000_000_000);
        assert_eq!(parse_bytes("10737418240").unwrap(), 10 * GIB);
        assert_eq!(parse_bytes("1.5Gi").unwrap(), 3 * GIB / 2);
        for bad in ["", "Gi", "12Zi", "1.2.3Gi", "-5Gi", "ten"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_rounding_up() {
        assert_eq!(format_gib_ceil(600 * GIB), "600Gi");
        assert_eq!(format_gib_ceil(600 * GIB + 1), "601Gi");
        assert_eq!(human_bytes(5 * GIB + GIB / 5), "5.2 GiB");
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3 GiB");
    }
}
