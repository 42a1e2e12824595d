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

/// A factor held exactly as a fraction, so 12 × 1.5 is 18 and never 17.999... rounded up to 19.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    numerator: u128,
    denominator: u128,
}

/// Decimal factors (a profile's `partition_factor`, an expected growth) are taken to the millionth.
const MILLION: u128 = 1_000_000;

impl Fraction {
    /// `numerator / denominator`; a zero denominator is taken as 1 (callers pass node counts,
    /// which the intent already proved to be at least 1).
    pub fn new(numerator: u64, denominator: u64) -> Fraction {
        reduced(u128::from(numerator), u128::from(denominator.max(1)))
    }

    /// A decimal factor to the nearest millionth (1.5 -> 3/2, 1.333333 -> 1333333/1000000);
    /// None when it is not a finite number of at most u64::MAX.
    pub fn from_decimal(factor: f64) -> Option<Fraction> {
        let millionths = (factor * MILLION as f64).round();
        // `as` saturates: the range check must come first, NaN fails it too.
        if !(0.0..=u64::MAX as f64).contains(&millionths) {
            return None;
        }
        Some(reduced(millionths as u128, MILLION))
    }
}

/// ceil(value × every factor), exactly: the result, whether it needed rounding, and the exact
/// product to two decimals for the plan's sentence. None when it does not fit in a u64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub result: u64,
    pub rounded: bool,
    pub decimal: String,
}

pub fn ceil_product(value: u64, factors: &[Fraction]) -> Option<Product> {
    let mut total = Fraction::new(value, 1);
    for factor in factors {
        // Crosswise reduction first keeps the intermediate products as small as they can be.
        let left = gcd(total.numerator, factor.denominator).max(1);
        let right = gcd(factor.numerator, total.denominator).max(1);
        total = reduced(
            (total.numerator / left).checked_mul(factor.numerator / right)?,
            (total.denominator / right).checked_mul(factor.denominator / left)?,
        );
    }
    let result = u64::try_from(total.numerator.div_ceil(total.denominator)).ok()?;
    Some(Product {
        result,
        rounded: !total.numerator.is_multiple_of(total.denominator),
        decimal: decimal_of(total.numerator, total.denominator),
    })
}

fn reduced(numerator: u128, denominator: u128) -> Fraction {
    let divisor = gcd(numerator, denominator).max(1);
    Fraction {
        numerator: numerator / divisor,
        denominator: denominator / divisor,
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn decimal(numerator: u64, denominator: u64) -> String {
    decimal_of(u128::from(numerator), u128::from(denominator))
}

/// numerator / denominator to two decimals, trailing zeros cut (for the plan's sentences only:
/// every decision is made on the exact fraction).
fn decimal_of(numerator: u128, denominator: u128) -> String {
    let value = numerator as f64 / denominator as f64;
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rounds_up_and_explains() {
        assert_eq!(scale_up(6, 6, 9), (9, "6 × 9/6 = 9".into()));
        assert_eq!(scale_up(3, 6, 9), (5, "3 × 9/6 = 4.5 → rounded up to 5".into()));
        assert_eq!(scale_up(1, 3, 4), (2, "1 × 4/3 = 1.33 → rounded up to 2".into()));
    }

    #[test]
    fn decimal_factors_are_exact_to_the_millionth() {
        let product = |value, factors: &[Fraction]| ceil_product(value, factors).unwrap();
        let one_and_a_half = Fraction::from_decimal(1.5).unwrap();
        assert_eq!(one_and_a_half, Fraction::new(3, 2));
        assert_eq!(
            product(12, &[one_and_a_half]).result,
            18,
            "never 17.999 rounded up to 19"
        );
        let tenth = Fraction::from_decimal(1.1).unwrap();
        assert_eq!(
            product(10, &[tenth]),
            Product {
                result: 11,
                rounded: false,
                decimal: "11".into()
            }
        );
        let twenty_four_times_nine_sixths_times_1_3 =
            product(24, &[Fraction::new(9, 6), Fraction::from_decimal(1.3).unwrap()]);
        assert_eq!(
            twenty_four_times_nine_sixths_times_1_3,
            Product {
                result: 47,
                rounded: true,
                decimal: "46.8".into()
            }
        );
        assert_eq!(Fraction::from_decimal(f64::NAN), None);
        assert_eq!(Fraction::from_decimal(f64::INFINITY), None);
        assert_eq!(Fraction::from_decimal(1e300), None);
    }

    #[test]
    fn a_product_past_u64_is_none_never_a_wrap() {
        assert_eq!(ceil_product(u64::MAX, &[Fraction::new(2, 1)]), None);
        assert_eq!(
            ceil_product(u64::MAX, &[Fraction::new(u64::MAX, 1), Fraction::new(u64::MAX, 1)]),
            None
        );
        assert_eq!(ceil_product(u64::MAX, &[Fraction::new(3, 3)]).unwrap().result, u64::MAX);
    }

    proptest! {
        /// The result is the least whole number at or above the exact product.
        #[test]
        fn ceil_product_is_the_exact_ceiling(
            value in 0u64..10_000_000,
            from in 1u64..10_000,
            added in 0u64..10_000,
            millionths in 1_000_000u64..=10_000_000,
        ) {
            let to = from + added;
            let product = ceil_product(value, &[Fraction::new(to, from), Fraction::new(millionths, 1_000_000)]).unwrap();
            let exact_numerator = u128::from(value) * u128::from(to) * u128::from(millionths);
            let denominator = u128::from(from) * 1_000_000;
            let result = u128::from(product.result);
            prop_assert!(result * denominator >= exact_numerator);
            prop_assert!(result == 0 || (result - 1) * denominator < exact_numerator);
            prop_assert_eq!(product.rounded, !exact_numerator.is_multiple_of(denominator));
            prop_assert!(product.result >= value, "a growth factor never lowers");
        }
    }
}
