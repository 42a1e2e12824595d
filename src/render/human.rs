//! The plan as an operator reads it at 3 a.m.: what is checked, what changes and why, one summary.
use std::fmt::Write;

use super::kafka_table::render_broker_table;
use super::style::Style;
use crate::plan::{CheckStatus, Plan, side_by_side};
use crate::values::quantity::human_bytes;

pub fn render_plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let s = style;
    let _ = writeln!(
        out,
        "{} {} from {} to {} nodes (profile {}, release {} chart {} {})",
        s.bold("kfscale plan:"),
        plan.node_pool.pool,
        plan.from_nodes,
        plan.to_nodes,
        plan.profile.name,
        plan.release.name,
        plan.release.chart,
        plan.release.chart_version
    );
    render_prechecks(plan, s, &mut out);
    if !plan.has_changes() {
        let _ = writeln!(
            out,
            "\n{} The cluster already matches the requested state.",
            s.green(&s.bold("No changes."))
        );
        return out;
    }
    let _ = writeln!(out, "\nkfscale will perform the following actions:\n");
    render_node_pool(plan, s, &mut out);
    render_values(plan, s, &mut out);
    render_kafka(plan, s, &mut out);
    render_pinot(plan, s, &mut out);
    render_summary(plan, s, &mut out);
    out
}

fn render_prechecks(plan: &Plan, s: Style, out: &mut String) {
    let _ = writeln!(out, "\n{}", s.bold("Pre-checks:"));
    let width = plan.prechecks.iter().map(|check| check.id.len()).max().unwrap_or(0);
    for check in &plan.prechecks {
        let mark = match check.status {
            CheckStatus::Pass => s.green("✓ pass"),
            CheckStatus::Warn => s.yellow("! warn"),
            CheckStatus::Fail => s.red("✗ FAIL"),
        };
        let _ = writeln!(out, "  {mark}  {:width$}  {}", check.id, check.message);
        if !check.fix.is_empty() {
            let _ = writeln!(out, "          {:width$}  {} {}", "", s.dim("fix:"), check.fix);
        }
    }
}

fn render_node_pool(plan: &Plan, s: Style, out: &mut String) {
    let pool = &plan.node_pool;
    if !pool.changes() {
        return;
    }
    let _ = writeln!(out, "  {} {}", s.dim("#"), s.bold(&format!("node pool: {}", pool.pool)));
    let _ = writeln!(out, "  {} node pool {{", s.yellow("~"));
    let field = |name: &str, before: Option<u32>, after: Option<u32>, out: &mut String| match (before, after) {
        (Some(b), Some(a)) if a != b => {
            let _ = writeln!(out, "      {} {name:<14} = {b} -> {a}", s.yellow("~"));
        }
        (Some(b), _) => {
            let _ = writeln!(out, "        {name:<14} = {b}");
        }
        _ => {}
    };
    for (name, before, after) in side_by_side(&pool.before, &pool.after) {
        field(name, before, after, out);
    }
    let _ = writeln!(out, "    }}");
    for note in &pool.notes {
        let _ = writeln!(out, "    {} {note}", s.dim("#"));
    }
    let zones: Vec<String> = pool
        .zones
        .iter()
        .map(|(zone, count)| format!("{zone}: {count}"))
        .collect();
    if !zones.is_empty() {
        let _ = writeln!(out, "    {} nodes now by zone: {}", s.dim("#"), zones.join(", "));
    }
    let _ = writeln!(out, "    {} {}", s.dim("#"), pool.done_when());
    out.push('\n');
}

fn render_values(plan: &Plan, s: Style, out: &mut String) {
    let values = &plan.values;
    let _ = writeln!(
        out,
        "  {} {}",
        s.dim("#"),
        s.bold(&format!(
            "values file {}: {} change(s)",
            values.path,
            values.changes.len()
        ))
    );
    let width = values
        .changes
        .iter()
        .map(|c| c.path.to_string().len())
        .max()
        .unwrap_or(0);
    for change in &values.changes {
        // An added key shows the chart's default it replaces, as Terraform shows a new attribute.
        let (sign, old) = if change.added {
            (s.green("+"), format!("({})", change.old))
        } else {
            (s.yellow("~"), change.old.clone())
        };
        let _ = writeln!(
            out,
            "  {} {:width$}  {:>6} -> {:<6}  {}",
            sign,
            change.path.to_string(),
            old,
            change.new,
            s.dim(&format!("{}: {}", change.rule, change.reason))
        );
    }
    if values.changes.iter().any(|change| change.added) {
        let _ = writeln!(
            out,
            "    {} + adds a key the file lacks; (n) is the chart's default it replaces",
            s.dim("#")
        );
    }
    for missing in &values.missing {
        let _ = writeln!(
            out,
            "  {} {} ({}): {}",
            s.yellow("?"),
            missing.path,
            missing.subject,
            missing.consequence
        );
    }
    for note in &values.notes {
        let _ = writeln!(out, "    {} {note}", s.dim("#"));
    }
    render_fates(values, s, out);
    if !values.diff.is_empty() {
        out.push('\n');
        for line in values.diff.lines() {
            let painted = match line.chars().next() {
                Some('+') if !line.starts_with("+++") => s.green(line),
                Some('-') if !line.starts_with("---") => s.red(line),
                _ => line.to_string(),
            };
            let _ = writeln!(out, "    {painted}");
        }
    }
    out.push('\n');
}

/// Every live Deployment and StatefulSet with replicas and what the plan does to it.
fn render_fates(values: &crate::plan::ValuesPlan, s: Style, out: &mut String) {
    use crate::plan::Fate;
    if values.workload_fates.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n  {} {}",
        s.dim("#"),
        s.bold(&format!(
            "workloads: {} Deployment(s) and StatefulSet(s) with replicas",
            values.workload_fates.len()
        ))
    );
    let width = values
        .workload_fates
        .iter()
        .map(|f| f.workload.len())
        .max()
        .unwrap_or(0);
    for fate in &values.workload_fates {
        let kind = format!("{:?}", fate.kind);
        let (sign, counts, what) = match &fate.fate {
            Fate::Scaled {
                path,
                before,
                after,
                by,
            } if before != after => (
                s.yellow("~"),
                format!("{before} -> {after}"),
                format!("scaled by {by} at `{path}`"),
            ),
            Fate::Scaled { path, before, by, .. } => (
                s.dim("="),
                before.to_string(),
                format!("stays: {by} at `{path}` gives the same count"),
            ),
            Fate::Fixed { path, count, why } => (s.dim("="), count.to_string(), format!("fixed at `{path}`: {why}")),
            Fate::NotCovered { why, .. } => (
                s.red("!"),
                fate.live_replicas.to_string(),
                format!("not covered: {why} (pre-check workloads-covered)"),
            ),
        };
        let _ = writeln!(
            out,
            "  {sign} {:width$}  {kind:<11}  {counts:<8}  {}",
            fate.workload,
            s.dim(&what)
        );
    }
}

fn render_kafka(plan: &Plan, s: Style, out: &mut String) {
    let kafka = &plan.kafka;
    let _ = writeln!(
        out,
        "  {} {}",
        s.dim("#"),
        s.bold(&format!(
            "kafka: {} -> {} brokers",
            kafka.brokers_before.len(),
            kafka.brokers_after.len()
        ))
    );
    let new_brokers = kafka.new_brokers();
    if !new_brokers.is_empty() {
        let ids: Vec<String> = new_brokers.iter().map(|id| id.to_string()).collect();
        let _ = writeln!(
            out,
            "  {} brokers {} (started by the Helm upgrade)",
            s.green("+"),
            ids.join(", ")
        );
    }
    for topic in plan.values.topics.iter().filter(|t| t.grows()) {
        let from = topic.partitions_now();
        let growth = topic.growth_label().map_or(String::new(), |label| format!("; {label}"));
        let _ = writeln!(
            out,
            "  {} topic {} partitions {} -> {} (+{} created, no data copied{growth})",
            s.green("+"),
            topic.topic,
            from,
            topic.partitions_after,
            topic.partitions_created()
        );
    }
    if let Some(result) = &kafka.reassignment {
        let bound = if result.replicas_moved == result.lower_bound {
            format!("= lower bound {}", result.lower_bound)
        } else {
            format!(
                "lower bound {}, best balanced placement {}",
                result.lower_bound, result.count_optimum
            )
        };
        let bytes = if result.bytes_moved > 0 {
            format!(", {} copied", human_bytes(result.bytes_moved))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {} reassignment: {} replica(s) move ({bound}){bytes}, {} preferred leader(s) change, {} partition(s) only reordered",
            s.yellow("~"),
            result.replicas_moved,
            result.leaders_changed,
            result.reorder_only
        );
        if let Some(line) = copy_time_line(result) {
            let _ = writeln!(out, "    {} {line}", s.dim("#"));
        }
        if let Some(line) = crate::render::election_line(result) {
            let _ = writeln!(out, "  {} {line}", s.yellow("~"));
        }
        render_broker_table(result, &kafka.brokers_before, s, out);
    }
    for volume in &kafka.volumes {
        let _ = writeln!(
            out,
            "  {} volume {} {} -> {} (the claim grows; the StatefulSet is re-created without deleting its pods, its volume template being immutable)",
            s.yellow("~"),
            volume.claim,
            volume.from,
            volume.to
        );
    }
    for note in &kafka.notes {
        let _ = writeln!(out, "    {} {note}", s.dim("#"));
    }
    out.push('\n');
}

fn render_pinot(plan: &Plan, s: Style, out: &mut String) {
    let pinot = &plan.pinot;
    let servers: Vec<String> = pinot
        .servers
        .iter()
        .map(|c| format!("{} {} -> {}", c.workload, c.before, c.after))
        .collect();
    let _ = writeln!(
        out,
        "  {} {}",
        s.dim("#"),
        s.bold(&format!(
            "pinot: {}",
            if servers.is_empty() {
                "no server workloads in the file".into()
            } else {
                servers.join(", ")
            }
        ))
    );
    for table in &pinot.tables {
        let _ = writeln!(
            out,
            "  {} rebalance {} ({}) with parameter set {}: {} -> {} servers; {}",
            s.yellow("~"),
            table.table,
            table.table_type,
            pinot.parameter_set.as_deref().unwrap_or("?"),
            table.servers_before,
            table.servers_after,
            table.why
        );
        let query: Vec<String> = table.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(
            out,
            "      {}",
            s.dim(&format!("POST /tables/{}/rebalance?{}", table.table, query.join("&")))
        );
    }
    for note in &pinot.notes {
        let _ = writeln!(out, "    {} {note}", s.dim("#"));
    }
    out.push('\n');
}

fn render_summary(plan: &Plan, s: Style, out: &mut String) {
    let m = &plan.summary;
    let _ = writeln!(
        out,
        "{} {} to add, {} to change, {} to destroy.",
        s.bold("Plan:"),
        m.to_add,
        m.to_change,
        m.to_destroy
    );
    let mut parts = vec![
        format!("{} node(s)", m.nodes_added),
        format!("{} broker(s)", m.brokers_added),
        format!("{} value(s)", m.values_changed),
    ];
    if m.partitions_created > 0 {
        parts.push(format!(
            "{} partition(s) created on {} topic(s)",
            m.partitions_created, m.topics_grown
        ));
    }
    parts.push(format!(
        "{} replica(s) moved in {} partition(s) (lower bound {}{})",
        m.replicas_moved,
        m.partitions_reassigned,
        m.lower_bound,
        if m.bytes_moved > 0 {
            format!(", {}", human_bytes(m.bytes_moved))
        } else {
            String::new()
        }
    ));
    parts.push(format!("{} Pinot table(s) rebalanced", m.tables_rebalanced));
    let _ = writeln!(out, "      {}", s.dim(&parts.join("; ")));
    if plan.has_failed_checks() {
        let _ = writeln!(
            out,
            "\n{} a pre-check failed: this plan cannot be applied until it passes.",
            s.red(&s.bold("Error:"))
        );
    }
}

/// The least time the reassignment's copy can take at the default throttle (a plan is made without
/// kfscale.yaml's own), and what the apply is expected to take: the schedule ends within 10% of
/// that bound at customer scale (docs/performance.md).
fn copy_time_line(result: &crate::balance::BalanceResult) -> Option<String> {
    let throttle = crate::config::ReassignmentConfig::default().throttle_bytes_per_second;
    let busiest = crate::plan::copy_time::busiest(crate::plan::copy_time::replica_copies(&result.changes))?;
    let seconds = busiest.seconds_at(throttle)?;
    (busiest.bytes > 0).then(|| {
        format!(
            "copy time at least {} (broker {} {} {} at the default throttle of {}/s per broker); expected up to {} (the schedule ends within 10% of the bound)",
            human_seconds(seconds),
            busiest.broker,
            if busiest.receiving { "receives" } else { "sends" },
            human_bytes(busiest.bytes),
            human_bytes(throttle),
            human_seconds(seconds * 1.10)
        )
    })
}

fn human_seconds(seconds: f64) -> String {
    let total = seconds.ceil() as u64;
    match (total / 3600, (total % 3600) / 60, total % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::PartitionChange;

    fn result_with(changes: Vec<PartitionChange>) -> crate::balance::BalanceResult {
        let mut result = crate::balance::balance(&crate::balance::BalanceRequest {
            partitions: Vec::new(),
            brokers: vec![crate::balance::Broker { id: 1, rack: None }],
        })
        .expect("an empty balance");
        result.changes = changes;
        result
    }

    #[test]
    fn the_plan_shows_the_copy_time_bound_of_the_busiest_broker() {
        // Broker 3 receives 2 x 100 GiB at 100 MiB/s: 2,048 s.
        let change = |partition: i32| PartitionChange {
            topic: "t".into(),
            partition,
            old_replicas: vec![partition, 10],
            new_replicas: vec![3, 10],
            replicas_moved: 1,
            bytes_moved: Some(100 << 30),
        };
        let line = copy_time_line(&result_with(vec![change(1), change(2)])).expect("a line");
        assert!(
            line.starts_with("copy time at least 34 min 8 s (broker 3 receives"),
            "{line}"
        );
        assert!(line.contains("expected up to 37 min 33 s"), "{line}");
        assert_eq!(copy_time_line(&result_with(Vec::new())), None);
        assert_eq!(human_seconds(7300.0), "2 h 1 min");
    }
}
