//! Property tests of the Kafka balancer on random clusters (1-500 brokers, RF 1-3, with and
//! without racks, skewed starts, partitions being created) and on scale-out families.
//!
//! Always: the result is valid (same RF, distinct known brokers, rack-valid where the racks
//! allow) and its reported figures match an independent recount. When no constraint conflict
//! arose: balanced per topic, over all topics and in leaders (per topic; over all topics too when
//! every topic has one replication factor), and the moves equal the count-level
//! optimum, which matches an exhaustive search on small clusters and admits no improving exchange
//! of extras on larger ones. Scale-outs (balanced start on old brokers plus empty new ones) never
//! need a detour; the usual shape (same RF, partitions a multiple of the old broker count) moves
//! exactly the lower bound.
use crate::balance_check as check;

use kfscale::balance::{BalanceRequest, BalanceResult, Broker, Partition, balance};
use proptest::prelude::*;

/// SplitMix64: a tiny deterministic generator; proptest picks the seeds.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Debug, Clone)]
struct RandomShape {
    brokers: usize,
    topics: usize,
    max_partitions: usize,
    /// 0: no racks; else the number of racks.
    racks: usize,
    seed: u64,
}

/// A random cluster with a skewed start: each topic lives mostly on a random "hot" subset of
/// brokers, racks (if any) are random, some partitions are to be created, some have sizes.
fn random_cluster(shape: &RandomShape) -> BalanceRequest {
    let mut rng = Rng(shape.seed);
    let ids: Vec<i32> = (0..shape.brokers).map(|i| 100 + 3 * i as i32).collect();
    let rack_names = ["az-a", "az-b", "az-c", "az-d"];
    let brokers = ids
        .iter()
        .map(|&id| Broker {
            id,
            rack: (shape.racks > 0).then(|| rack_names[rng.below(shape.racks)].to_string()),
        })
        .collect();
    let sized = rng.chance(50);
    let mut partitions = Vec::new();
    for t in 0..shape.topics {
        let rf = 1 + rng.below(shape.brokers.min(3));
        let count = 1 + rng.below(shape.max_partitions);
        let hot = 1 + rng.below(shape.brokers);
        let hot_start = rng.below(shape.brokers);
        let created_percent = if rng.chance(30) { 25 } else { 0 };
        for p in 0..count {
            let replicas = if rng.chance(created_percent) {
                Vec::new()
            } else {
                let mut chosen: Vec<i32> = Vec::new();
                while chosen.len() < rf {
                    // Mostly from the hot brokers, sometimes from anywhere.
                    let index = if chosen.len() < hot && rng.chance(85) {
                        (hot_start + rng.below(hot)) % shape.brokers
                    } else {
                        rng.below(shape.brokers)
                    };
                    if !chosen.contains(&ids[index]) {
                        chosen.push(ids[index]);
                    }
                }
                chosen
            };
            partitions.push(Partition {
                topic: format!("topic-{t}"),
                partition: p as i32,
                replicas,
                replication_factor: rf,
                size_bytes: sized.then(|| 1 + rng.below(1 << 20) as u64),
            });
        }
    }
    BalanceRequest { partitions, brokers }
}

#[derive(Debug, Clone)]
struct ScaleOutShape {
    old: usize,
    new: usize,
    topics: usize,
    max_partitions: usize,
    /// 0: no racks; else racks assigned round-robin (old and new brokers alike).
    racks: usize,
    grow_partitions: bool,
    /// One replication factor for every topic (capped at the old broker count); None: random per topic.
    rf: Option<usize>,
    seed: u64,
}

/// A balanced start on the old brokers (Kafka's layout continued across topics, so balanced per
/// topic and overall; rack-valid with racks round-robin), plus empty new brokers and optionally
/// new partitions.
fn scale_out_cluster(shape: &ScaleOutShape) -> BalanceRequest {
    let mut rng = Rng(shape.seed);
    let total = shape.old + shape.new;
    let ids: Vec<i32> = (0..total as i32).collect();
    let rack_names = ["az-a", "az-b", "az-c", "az-d"];
    let brokers = ids
        .iter()
        .map(|&id| Broker {
            id,
            rack: (shape.racks > 0).then(|| rack_names[id as usize % shape.racks].to_string()),
        })
        .collect();
    let mut partitions = Vec::new();
    let mut next = 0usize;
    for t in 0..shape.topics {
        let random_rf = 1 + rng.below(shape.old.min(3));
        let rf = shape.rf.map_or(random_rf, |rf| rf.min(shape.old));
        let count = 1 + rng.below(shape.max_partitions);
        for p in 0..count {
            let replicas = (0..rf).map(|_| {
                let b = ids[next % shape.old];
                next += 1;
                b
            });
            partitions.push(Partition {
                topic: format!("topic-{t}"),
                partition: p as i32,
                replicas: replicas.collect(),
                replication_factor: rf,
                size_bytes: None,
            });
        }
        if shape.grow_partitions && rng.chance(50) {
            for p in count..count + 1 + rng.below(count) {
                partitions.push(Partition {
                    topic: format!("topic-{t}"),
                    partition: p as i32,
                    replicas: Vec::new(),
                    replication_factor: rf,
                    size_bytes: None,
                });
            }
        }
    }
    BalanceRequest { partitions, brokers }
}

/// The checks every result must pass; returns the result for more.
fn assert_sound(request: &BalanceRequest) -> BalanceResult {
    let result = balance(request).expect("a valid request balances");
    let problems = check::structural_problems(request, &result);
    assert!(problems.is_empty(), "{problems:#?}");
    let assignment = check::final_assignment(request, &result);
    let replicas_ok = check::replicas_balanced(request, &assignment);
    let leaders_ok = check::leaders_balanced(request, &assignment);
    assert_eq!(result.replicas_balanced, replicas_ok, "replicas_balanced flag");
    assert_eq!(result.leaders_balanced, leaders_ok, "leaders_balanced flag");
    assert!(
        !replicas_ok || result.replicas_moved >= result.lower_bound,
        "balanced with fewer moves than the lower bound"
    );
    // The count optimum is a true minimum: no balanced placement moves less.
    if replicas_ok && !result.rack_aware {
        assert!(result.replicas_moved >= result.count_optimum, "below the count optimum");
    }
    if result.constraint_conflicts == 0 {
        assert!(result.count_optimum >= result.lower_bound, "optimum below the bound");
        assert!(replicas_ok, "unbalanced without a conflict: {:#?}", result.notes);
        assert!(leaders_ok, "leaders unbalanced: {:#?}", result.notes);
        if result.rack_fixes == 0 {
            assert_eq!(result.replicas_moved, result.count_optimum, "{:#?}", result.notes);
        }
    }
    result
}

/// No racks, balanced, no conflict: the moves equal the count-level cost of the final counts
/// and no balance-keeping exchange of extras would lower it.
fn assert_locally_optimal(request: &BalanceRequest, result: &BalanceResult) {
    if result.rack_aware || result.constraint_conflicts > 0 {
        return;
    }
    let assignment = check::final_assignment(request, result);
    let (cost, improvable) = check::count_cost_and_local_improvement(request, &assignment);
    assert_eq!(result.replicas_moved, cost, "moves vs count cost of the result");
    assert!(!improvable, "an exchange of extras would save moves");
}

/// A scale-out as Kafka users usually shape it: every topic has the same replication factor
/// and a multiple of the old broker count as partitions.
fn uniform_scale_out(
    old: usize,
    new: usize,
    topics: usize,
    multiple: usize,
    rf: usize,
    racks: usize,
) -> BalanceRequest {
    let round = |n: usize| {
        if racks == 0 { n } else { n.div_ceil(racks) * racks }
    };
    let (old, new) = (round(old), round(new));
    let rf = rf.min(old);
    let ids: Vec<i32> = (0..(old + new) as i32).collect();
    let brokers = ids
        .iter()
        .map(|&id| Broker {
            id,
            rack: (racks > 0).then(|| format!("rack-{}", id as usize % racks)),
        })
        .collect();
    let mut partitions = Vec::new();
    let mut next = 0usize;
    for t in 0..topics {
        for p in 0..old * multiple {
            let replicas = (0..rf)
                .map(|_| {
                    next += 1;
                    ids[(next - 1) % old]
                })
                .collect();
            partitions.push(Partition {
                topic: format!("topic-{t}"),
                partition: p as i32,
                replicas,
                replication_factor: rf,
                size_bytes: None,
            });
        }
    }
    BalanceRequest { partitions, brokers }
}

/// `cases` cases; failures are reported with their shape, not persisted to files (add a named
/// test in balance_examples.rs for a case worth keeping).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

fn random_shape(
    brokers: std::ops::RangeInclusive<usize>,
    topics: std::ops::RangeInclusive<usize>,
    max_partitions: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = RandomShape> {
    (brokers, topics, max_partitions, 0usize..=4, any::<u64>()).prop_map(
        |(brokers, topics, max_partitions, racks, seed)| RandomShape {
            brokers,
            topics,
            max_partitions,
            racks,
            seed,
        },
    )
}

fn scale_out_shape(
    old: std::ops::RangeInclusive<usize>,
    new: std::ops::RangeInclusive<usize>,
    max_partitions: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = ScaleOutShape> {
    (
        old,
        new,
        1usize..=8,
        max_partitions,
        0usize..=3,
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(old, new, topics, max_partitions, racks, grow_partitions, seed)| {
            // Racks round-robin over a multiple of the rack count keeps the start rack-valid
            // and adds new brokers evenly per rack.
            let round = |n: usize| {
                if racks == 0 { n } else { n.div_ceil(racks) * racks }
            };
            ScaleOutShape {
                old: round(old),
                new: round(new),
                topics,
                max_partitions,
                racks,
                grow_partitions,
                rf: None,
                seed,
            }
        })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn small_random_clusters_match_exhaustive_search(shape in random_shape(1..=6, 1..=3, 1..=8)) {
        let request = random_cluster(&shape);
        let result = assert_sound(&request);
        if let Some(exhaustive) = check::brute_force_count_optimum(&request, 20_000) {
            if exhaustive.model_exact {
                prop_assert_eq!(result.count_optimum, exhaustive.optimum);
            } else {
                prop_assert!(result.count_optimum >= exhaustive.optimum);
            }
        }
    }

    #[test]
    fn small_scale_outs_match_exhaustive_search(shape in scale_out_shape(1..=4, 1..=3, 1..=12)) {
        let mut shape = shape;
        shape.topics = shape.topics.min(3);
        let request = scale_out_cluster(&shape);
        let result = assert_sound(&request);
        prop_assert_eq!(result.constraint_conflicts, 0, "{:#?}", result.notes);
        if let Some(exhaustive) = check::brute_force_count_optimum(&request, 20_000) {
            if exhaustive.model_exact {
                prop_assert_eq!(result.count_optimum, exhaustive.optimum);
            } else {
                prop_assert!(result.count_optimum >= exhaustive.optimum);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(250))]

    #[test]
    fn medium_random_clusters_are_valid_and_balanced(shape in random_shape(1..=60, 1..=8, 1..=60)) {
        let request = random_cluster(&shape);
        let result = assert_sound(&request);
        assert_locally_optimal(&request, &result);
    }

    /// Random topic sizes and replication factors: the exact count optimum, reached without
    /// detours; it exceeds the bound in a few percent of these shapes, where per-topic
    /// and global balance conflict or new partitions cannot fill the new brokers alone.
    #[test]
    fn scale_out_moves_the_count_optimum(shape in scale_out_shape(1..=30, 1..=20, 1..=60)) {
        let request = scale_out_cluster(&shape);
        let result = assert_sound(&request);
        prop_assert_eq!(result.constraint_conflicts, 0, "{:#?}", result.notes);
        prop_assert_eq!(result.replicas_moved, result.count_optimum);
        assert_locally_optimal(&request, &result);
    }

    #[test]
    fn uniform_scale_out_reaches_the_lower_bound(
        old in 1usize..=30, new in 1usize..=20, topics in 1usize..=8,
        multiple in 1usize..=4, rf in 1usize..=3, racks in 0usize..=3,
    ) {
        let request = uniform_scale_out(old, new, topics, multiple, rf, racks);
        let result = assert_sound(&request);
        prop_assert_eq!(result.constraint_conflicts, 0, "{:#?}", result.notes);
        prop_assert_eq!(result.replicas_moved, result.lower_bound);
        let assignment = check::final_assignment(&request, &result);
        prop_assert!(check::leader_totals_balanced(&request, &assignment), "{:#?}", result.after);
    }

    /// Every topic of one replication factor (Kloudfuse's topics share one), random partition
    /// counts: the preferred leaders spread over all brokers within one of each other, so the
    /// election after the moves gives every broker its share of the produce load; reaching it
    /// only reorders replicas (the moves stay the count optimum).
    #[test]
    fn one_replication_factor_scale_outs_balance_leaders_over_all_topics(
        shape in scale_out_shape(1..=30, 1..=20, 1..=60), rf in 1usize..=3,
    ) {
        let request = scale_out_cluster(&ScaleOutShape { rf: Some(rf), ..shape });
        let result = assert_sound(&request);
        prop_assert_eq!(result.constraint_conflicts, 0, "{:#?}", result.notes);
        prop_assert_eq!(result.replicas_moved, result.count_optimum);
        let assignment = check::final_assignment(&request, &result);
        prop_assert!(check::leader_totals_balanced(&request, &assignment), "{:#?} {:#?}", result.after, result.notes);
    }
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn large_random_clusters_are_valid_and_balanced(shape in random_shape(100..=500, 1..=5, 50..=400)) {
        assert_sound(&random_cluster(&shape));
    }

    #[test]
    fn large_scale_out_moves_the_count_optimum(shape in scale_out_shape(100..=300, 1..=200, 100..=600)) {
        let request = scale_out_cluster(&shape);
        let result = assert_sound(&request);
        prop_assert_eq!(result.constraint_conflicts, 0, "{:#?}", result.notes);
        prop_assert_eq!(result.replicas_moved, result.count_optimum);
    }

    #[test]
    fn large_uniform_scale_out_reaches_the_lower_bound(
        old in 100usize..=300, new in 1usize..=200, topics in 1usize..=4, rf in 1usize..=3,
        racks in 0usize..=3,
    ) {
        let request = uniform_scale_out(old, new, topics, 2, rf, racks);
        let result = assert_sound(&request);
        prop_assert_eq!(result.constraint_conflicts, 0, "{:#?}", result.notes);
        prop_assert_eq!(result.replicas_moved, result.lower_bound);
        let assignment = check::final_assignment(&request, &result);
        prop_assert!(check::leader_totals_balanced(&request, &assignment));
    }
}
