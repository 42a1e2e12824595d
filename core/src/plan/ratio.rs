//! Scaling by (n+m)/n with integer arithmetic, rounding up, and a sentence saying how.

/// ceil(value x to / from), and the arithmetic written out for the plan.
pub fn scale_up(value: u64, from: u64, to: u64) -> (u64, String) {
    let product = value * to;
    let result = product.div_ceil(from);
    let exact = product.is_multiple_of(from);
    let text = if exact {
        format!("{value} × {to}/{from} = {result}")
    } else {
        format!(
            "{value} × {to}/{from} = {} → rounded up to {result}",
            decimal(product, from)
        )
    };
    (result, text)
}

/// ceil(value x factor) for a configured factor.
pub fn scale_by_factor(value: u64, factor: f64) -> (u64, String) {
    let exact = value as f64 * factor;
    // A hair below the integer guards against 12 x 1.5 = 17.999999 style errors rounding up to 19.
    let result = (exact - 1e-9).ceil().max(0.0) as u64;
    let text = if (exact - result as f64).abs() < 1e-9 {
        format!("{value} × {factor} = {result}")
    } else {
        format!("{value} × {factor} = {exact:.2} → rounded up to {result}")
    };
    (result, text)
}

fn decimal(numerator: u64, denominator: u64) -> String {
    let value = numerator as f64 / denominator as f64;
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_and_explains() {
        assert_eq!(scale_up(6, 6, 9), (9, "6 × 9/6 = 9".into()));
        assert_eq!(scale_up(3, 6, 9), (5, "3 × 9/6 = 4.5 → rounded up to 5".into()));
        assert_eq!(scale_up(1, 3, 4), (2, "1 × 4/3 = 1.33 → rounded up to 2".into()));
        assert_eq!(scale_by_factor(12, 1.5), (18, "12 × 1.5 = 18".into()));
        assert_eq!(scale_by_factor(5, 1.5).0, 8);
    }
}
