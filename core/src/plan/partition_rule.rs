//! The partition rule for one topic: `ceil(partitions × node ratio × expected growth)`, computed
//! exactly (no float rounding decides a partition), with the sentence the plan shows for it. The
//! node ratio is (n+m)/n, or the profile's `partition_factor` when set; the expected growth is the
//! topic's setting (`expected_growth.rs`), none by default. Never below Kafka's count: the caller's.
use super::expected_growth::AppliedGrowth;
use super::ratio::{Fraction, ceil_product};

/// Kafka numbers partitions with a signed 32-bit int: no topic can have more.
pub const MAX_PARTITIONS: u64 = i32::MAX as u64;

/// What scales the partitions with the nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeRatio {
    /// (n+m)/n: `to` nodes after, `from` before.
    Nodes { from: u64, to: u64 },
    /// The profile's `kafka.partition_factor`.
    Factor(f64),
}

/// A topic whose partitions would pass Kafka's limit (or any integer): refused, not wrapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "topic `{topic}`: {arithmetic} is more partitions than Kafka can hold ({MAX_PARTITIONS}); fix: check the topic's `partitions` in the values file, the expected growth (--expected-growth, kfscale.yaml partition_growth) and the profile's kafka.partition_factor"
)]
pub struct TooManyPartitions {
    pub topic: String,
    pub arithmetic: String,
}

/// The partitions `topic` grows to, and why, as `24 × 9/6 × 1.5 = 54; 1.5 = expected growth
/// (partition_growth.streams.logs)`.
pub fn grown_partitions(
    topic: &str,
    partitions: u64,
    ratio: NodeRatio,
    growth: Option<&AppliedGrowth>,
) -> Result<(u64, String), TooManyPartitions> {
    let (ratio_text, ratio_fraction) = match ratio {
        NodeRatio::Nodes { from, to } => (format!("{to}/{from}"), Some(Fraction::new(to, from))),
        NodeRatio::Factor(factor) => (factor.to_string(), Fraction::from_decimal(factor)),
    };
    let mut arithmetic = format!("{partitions} × {ratio_text}");
    if let Some(growth) = growth {
        arithmetic.push_str(&format!(" × {}", growth.factor));
    }
    let too_many = |arithmetic: String| TooManyPartitions {
        topic: topic.to_string(),
        arithmetic,
    };
    // A factor that is no fraction (a profile factor past u64) is as impossible as an overflow.
    let fractions: Option<Vec<Fraction>> = std::iter::once(ratio_fraction)
        .chain(growth.map(|growth| Fraction::from_decimal(growth.factor.get())))
        .collect();
    let product = fractions
        .and_then(|fractions| ceil_product(partitions, &fractions))
        .ok_or_else(|| too_many(arithmetic.clone()))?;
    let mut reason = match product.rounded {
        true => format!("{arithmetic} = {} → rounded up to {}", product.decimal, product.result),
        false => format!("{arithmetic} = {}", product.result),
    };
    if product.result > MAX_PARTITIONS {
        return Err(too_many(reason));
    }
    if let Some(growth) = growth {
        reason.push_str(&format!("; {} = expected growth ({})", growth.factor, growth.set_by));
    }
    Ok((product.result, reason))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::plan::expected_growth::GrowthFactor;

    fn growth(factor: f64, set_by: &str) -> AppliedGrowth {
        AppliedGrowth {
            factor: GrowthFactor::new(factor).unwrap(),
            set_by: set_by.into(),
        }
    }

    #[test]
    fn without_growth_the_rule_is_the_node_ratio_as_before() {
        let nodes = NodeRatio::Nodes { from: 6, to: 9 };
        assert_eq!(grown_partitions("t", 24, nodes, None), Ok((36, "24 × 9/6 = 36".into())));
        assert_eq!(
            grown_partitions("t", 5, NodeRatio::Nodes { from: 6, to: 9 }, None),
            Ok((8, "5 × 9/6 = 7.5 → rounded up to 8".into()))
        );
        assert_eq!(
            grown_partitions("t", 12, NodeRatio::Factor(1.5), None),
            Ok((18, "12 × 1.5 = 18".into()))
        );
        assert_eq!(
            grown_partitions("t", 12, NodeRatio::Nodes { from: 6, to: 6 }, None)
                .unwrap()
                .0,
            12
        );
    }

    #[test]
    fn growth_multiplies_the_node_ratio_and_says_where_it_was_set() {
        let logs = growth(1.5, "partition_growth.streams.logs");
        assert_eq!(
            grown_partitions("kf_logs_topic", 24, NodeRatio::Nodes { from: 6, to: 9 }, Some(&logs)),
            Ok((
                54,
                "24 × 9/6 × 1.5 = 54; 1.5 = expected growth (partition_growth.streams.logs)".into()
            ))
        );
        let flag = growth(1.3, "--expected-growth");
        assert_eq!(
            grown_partitions("t", 24, NodeRatio::Nodes { from: 6, to: 9 }, Some(&flag)),
            Ok((
                47,
                "24 × 9/6 × 1.3 = 46.8 → rounded up to 47; 1.3 = expected growth (--expected-growth)".into()
            ))
        );
        assert_eq!(
            grown_partitions("t", 10, NodeRatio::Factor(2.0), Some(&growth(1.1, "x")))
                .unwrap()
                .0,
            22
        );
    }

    #[test]
    fn past_kafkas_limit_is_refused_naming_the_topic() {
        let err = grown_partitions(
            "kf_logs_topic",
            u64::MAX,
            NodeRatio::Nodes { from: 1, to: 2 },
            Some(&growth(10.0, "x")),
        )
        .unwrap_err();
        assert_eq!(err.topic, "kf_logs_topic");
        let text = err.to_string();
        assert!(
            text.contains("more partitions than Kafka can hold") && text.contains("fix:"),
            "{text}"
        );
        let err = grown_partitions("t", 1 << 30, NodeRatio::Nodes { from: 1, to: 4 }, None).unwrap_err();
        assert!(err.arithmetic.contains("= 4294967296"), "{err}");
        assert!(grown_partitions("t", 2, NodeRatio::Factor(1e300), None).is_err());
    }

    proptest! {
        /// More growth never gives fewer partitions, and growth 1 is the node ratio alone.
        #[test]
        fn growth_is_monotone_and_one_is_neutral(
            partitions in 0u64..100_000,
            from in 1u64..500,
            added in 0u64..500,
            low in 1_000u32..=10_000,
            high in 1_000u32..=10_000,
        ) {
            let ratio = NodeRatio::Nodes { from, to: from + added };
            let (low, high) = (low.min(high), low.max(high));
            let at = |thousandths: u32| {
                grown_partitions("t", partitions, ratio, Some(&growth(f64::from(thousandths) / 1000.0, "x"))).unwrap().0
            };
            let alone = grown_partitions("t", partitions, ratio, None).unwrap().0;
            prop_assert!(at(low) <= at(high));
            prop_assert_eq!(at(1_000), alone);
            prop_assert!(alone >= partitions);
        }
    }
}
