//! The values rules on random files of the Kloudfuse layout: every workload follows its rule, topics
//! never shrink, and a parse of before and after differs only at the reported paths.
use kfscale::plan::scale_values_text;
use kfscale::profile::{Profile, Rule};
use kfscale::values::{Document, ValuePath, json::to_json};
use proptest::prelude::*;

fn values_file(counts: &[u32], partitions: &[u32], flow: bool, size_gi: u32, nodes: u32) -> String {
    let profile = Profile::builtin("kraft").unwrap();
    let mut text = format!("# generated\nglobal:\n  numNodes: {nodes}  # nodes\n  secretKey: \"x-y-z\"\n");
    text.push_str(&format!(
        "kafka-kraft:\n  broker:\n    persistence:\n      size: {size_gi}Gi\n"
    ));
    text.push_str("kafkaTopics:\n");
    for (i, p) in partitions.iter().enumerate() {
        if flow {
            text.push_str(&format!(
                "  - {{name: topic_{i}, partitions: {p}, replicationFactor: 1}}\n"
            ));
        } else {
            text.push_str(&format!(
                "  - name: topic_{i}\n    partitions: {p}\n    replicationFactor: 2\n"
            ));
        }
    }
    // Each workload's value at its own path, nested block style (unique parents, no merging needed).
    for (rule, count) in profile.workloads.values().zip(counts.iter().cycle()) {
        let path = rule.path.to_string().replace('.', "__");
        text.push_str(&format!("{path}:\n  replicaCount: {count}\n"));
    }
    text
}

fn kraft_with_flat_paths() -> Profile {
    let profile = Profile::builtin("kraft").unwrap();
    let mut overrides = serde_json::Map::new();
    for (name, rule) in &profile.workloads {
        let path = format!("{}.replicaCount", rule.path.to_string().replace('.', "__"));
        overrides.insert(name.clone(), serde_json::json!({ "path": path }));
    }
    profile
        .with_overrides(&serde_json::json!({ "workloads": overrides }), "test")
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn scaling_changes_exactly_the_reported_paths(
        counts in prop::collection::vec(1u32..40, 1..30),
        partitions in prop::collection::vec(1u32..200, 0..12),
        flow in any::<bool>(),
        size_gi in 1u32..5000,
        from in 1u32..60,
        added in 0u32..60,
    ) {
        let to = from + added;
        let profile = kraft_with_flat_paths();
        let text = values_file(&counts, &partitions, flow, size_gi, from);
        let (plan, new_text) = scale_values_text("values.yaml", &text, &profile, from, to, &Default::default()).unwrap();

        let before = to_json(&Document::parse("values.yaml", &text).unwrap());
        let after = to_json(&Document::parse("values.yaml", &new_text).unwrap());
        let mut changed = std::collections::BTreeSet::new();
        collect_differences("", &before, &after, &mut changed);
        let reported: std::collections::BTreeSet<String> = plan.changes.iter().map(|c| c.path.to_string()).collect();
        prop_assert_eq!(&changed, &reported);

        for (name, rule) in &profile.workloads {
            let old = lookup(&before, &rule.path).as_u64().unwrap();
            let new = lookup(&after, &rule.path).as_u64().unwrap();
            match rule.rule {
                Rule::Scale => prop_assert_eq!(new, (old * u64::from(to)).div_ceil(u64::from(from)), "{}", name),
                Rule::Fixed(_) => prop_assert_eq!(new, old, "{} is never resized", name),
            }
        }
        for (i, old) in partitions.iter().enumerate() {
            let new = after["kafkaTopics"][i]["partitions"].as_u64().unwrap();
            prop_assert!(new >= u64::from(*old));
            prop_assert_eq!(new, (u64::from(*old) * u64::from(to)).div_ceil(u64::from(from)));
        }
        let size = after["kafka-kraft"]["broker"]["persistence"]["size"].as_str().unwrap().trim_end_matches("Gi").parse::<u64>().unwrap();
        prop_assert!(size >= u64::from(size_gi), "the disk never shrinks");
        prop_assert_eq!(after["global"]["numNodes"].as_u64(), Some(u64::from(to)));
        prop_assert_eq!(after["global"]["secretKey"].as_str(), Some("x-y-z"));
    }
}

fn lookup<'a>(value: &'a serde_json::Value, path: &ValuePath) -> &'a serde_json::Value {
    let pointer: String = path.to_string().split('.').map(|key| format!("/{key}")).collect();
    value.pointer(&pointer).unwrap_or_else(|| panic!("{path} missing"))
}

fn collect_differences(
    path: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    out: &mut std::collections::BTreeSet<String>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "keys changed under {path}"
            );
            for (key, value) in x {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                collect_differences(&child, value, &y[key], out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "list length changed at {path}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                collect_differences(&format!("{path}[{i}]"), p, q, out);
            }
        }
        (p, q) if p != q => {
            out.insert(path.to_string());
        }
        _ => {}
    }
}
