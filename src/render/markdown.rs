//! The plan as a review document (`kfscale show --format markdown`): made to be pasted into a pull
//! request or a ticket, so support and engineering review exactly what `kfscale apply` will do.
//! GitHub-flavoured Markdown: tables, a fenced diff, nothing that needs a terminal.
use std::fmt::Write;

use crate::balance::BalanceResult;
use crate::plan::{CheckStatus, Intent, Plan, side_by_side};
use crate::values::quantity::human_bytes;

/// `plan_file` is the path the reviewer will apply (shown in the apply command); `checksum` the
/// plan's `sha256:` fingerprint, which `kfscale apply` records as the plan it executes.
pub fn render_markdown(plan: &Plan, plan_file: &str, checksum: &str) -> String {
    let mut out = String::new();
    header(plan, checksum, &mut out);
    prechecks(plan, &mut out);
    if plan.has_changes() {
        node_pool(plan, &mut out);
        values(plan, &mut out);
        kafka(plan, &mut out);
        pinot(plan, &mut out);
    } else {
        out.push_str("**No changes.** The cluster already matches the requested state.\n\n");
    }
    fingerprints(plan, &mut out);
    how_to_apply(plan, plan_file, checksum, &mut out);
    out
}

fn header(plan: &Plan, checksum: &str, out: &mut String) {
    let m = &plan.summary;
    let mut intent = match plan.intent {
        Intent::AddNodes(n) => format!("`--add-nodes {n}`"),
        Intent::Nodes(n) => format!("`--nodes {n}`"),
    };
    if let Some(factor) = plan.expected_growth.flag {
        intent.push_str(&format!(" `--expected-growth {factor}`"));
    }
    let _ = writeln!(
        out,
        "## kfscale plan: {} from {} to {} nodes\n",
        cell(&plan.node_pool.pool),
        plan.from_nodes,
        plan.to_nodes
    );
    let _ = writeln!(
        out,
        "**Plan: {} to add, {} to change, {} to destroy.** {} node(s), {} broker(s), {} value(s), {} partition(s) created, {} replica(s) moved, {} Pinot table(s) rebalanced.\n",
        m.to_add,
        m.to_change,
        m.to_destroy,
        m.nodes_added,
        m.brokers_added,
        m.values_changed,
        m.partitions_created,
        m.replicas_moved,
        m.tables_rebalanced
    );
    out.push_str("| | |\n|---|---|\n");
    let r = &plan.release;
    let rows = [
        ("Intent", intent),
        (
            "Helm release",
            format!(
                "`{}` in namespace `{}`, chart `{}` **{}** (the upgrade pins exactly this version)",
                r.name, r.namespace, r.chart, r.chart_version
            ),
        ),
        ("Profile", format!("`{}`", plan.profile.name)),
        ("Plan fingerprint", format!("`{checksum}`")),
        ("Made by", format!("kfscale {}", plan.kfscale_version)),
    ];
    for (key, value) in rows {
        let _ = writeln!(out, "| {key} | {value} |");
    }
    if plan.has_failed_checks() {
        out.push_str("\n> **A pre-check failed: this plan cannot be applied until it passes.**\n");
    }
    out.push('\n');
}

fn prechecks(plan: &Plan, out: &mut String) {
    out.push_str("### Pre-checks\n\n| result | check | finding | fix |\n|---|---|---|---|\n");
    for check in &plan.prechecks {
        let mark = match check.status {
            CheckStatus::Pass => "✅ pass",
            CheckStatus::Warn => "⚠️ warn",
            CheckStatus::Fail => "❌ **FAIL**",
        };
        let _ = writeln!(
            out,
            "| {mark} | `{}` | {} | {} |",
            check.id,
            cell(&check.message),
            cell(&check.fix)
        );
    }
    out.push('\n');
}

fn node_pool(plan: &Plan, out: &mut String) {
    let pool = &plan.node_pool;
    let _ = writeln!(out, "### Node pool: {}\n", cell(&pool.pool));
    out.push_str("| | before | after |\n|---|---:|---:|\n");
    let row = |name: &str, before: Option<u32>, after: Option<u32>, out: &mut String| {
        let shown = |v: Option<u32>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
        if before.is_some() || after.is_some() {
            let changed = if before != after { " **(changes)**" } else { "" };
            let _ = writeln!(out, "| {name}{changed} | {} | {} |", shown(before), shown(after));
        }
    };
    for (name, before, after) in side_by_side(&pool.before, &pool.after) {
        row(name, before, after, out);
    }
    out.push('\n');
    let zones: Vec<String> = pool.zones.iter().map(|(zone, n)| format!("{zone}: {n}")).collect();
    if !zones.is_empty() {
        let _ = writeln!(out, "- nodes now by zone: {}", zones.join(", "));
    }
    for note in &pool.notes {
        let _ = writeln!(out, "- {}", cell(note));
    }
    let _ = writeln!(out, "- {}\n", pool.done_when());
}

fn values(plan: &Plan, out: &mut String) {
    let values = &plan.values;
    let _ = writeln!(
        out,
        "### Values file `{}`: {} change(s)\n",
        values.path,
        values.changes.len()
    );
    if !values.changes.is_empty() {
        out.push_str("| line | path | before | after | rule | why |\n|---:|---|---:|---:|---|---|\n");
        for change in &values.changes {
            // An added key has no line yet: `+`, and its before is the chart's default.
            let line = if change.added {
                "+".to_string()
            } else {
                change.line.to_string()
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} |",
                line,
                change.path,
                cell(&change.old),
                cell(&change.new),
                change.rule,
                cell(&change.reason)
            );
        }
        out.push('\n');
    }
    for missing in &values.missing {
        let _ = writeln!(
            out,
            "- missing `{}` ({}): {}",
            missing.path,
            missing.subject,
            cell(&missing.consequence)
        );
    }
    for note in &values.notes {
        let _ = writeln!(out, "- {}", cell(note));
    }
    if !values.missing.is_empty() || !values.notes.is_empty() {
        out.push('\n');
    }
    fates(values, out);
    if !values.diff.is_empty() {
        // A fence longer than any backtick run in the diff, so the diff cannot close it.
        let fence = "`".repeat(longest_backtick_run(&values.diff).max(2) + 1);
        let _ = writeln!(out, "{fence}diff\n{}", values.diff.trim_end_matches('\n'));
        let _ = writeln!(out, "{fence}\n");
    }
}

fn kafka(plan: &Plan, out: &mut String) {
    let kafka = &plan.kafka;
    let _ = writeln!(
        out,
        "### Kafka: {} -> {} brokers\n",
        kafka.brokers_before.len(),
        kafka.brokers_after.len()
    );
    let new_brokers = kafka.new_brokers();
    if !new_brokers.is_empty() {
        let ids: Vec<String> = new_brokers.iter().map(|id| id.to_string()).collect();
        let _ = writeln!(out, "- new brokers {} (started by the Helm upgrade)", ids.join(", "));
    }
    for topic in plan.values.topics.iter().filter(|t| t.grows()) {
        let from = topic.partitions_now();
        let growth = topic
            .growth_label()
            .map_or(String::new(), |label| format!("; {}", cell(&label)));
        let _ = writeln!(
            out,
            "- topic `{}`: partitions {from} -> {} (+{} created, no data copied{growth})",
            topic.topic,
            topic.partitions_after,
            topic.partitions_created()
        );
    }
    for volume in &kafka.volumes {
        let _ = writeln!(
            out,
            "- volume `{}` {} -> {} (the claim grows; the StatefulSet is re-created without deleting its pods)",
            volume.claim, volume.from, volume.to
        );
    }
    for note in &kafka.notes {
        let _ = writeln!(out, "- {}", cell(note));
    }
    out.push('\n');
    if let Some(result) = &kafka.reassignment {
        reassignment(result, &kafka.brokers_before, out);
    }
}

fn reassignment(result: &BalanceResult, brokers_before: &[i32], out: &mut String) {
    let bytes = if result.bytes_moved > 0 {
        human_bytes(result.bytes_moved)
    } else {
        "0 B".to_string()
    };
    let partial = if result.sizes_known {
        ""
    } else {
        " (some partition sizes unknown: at least this)"
    };
    let _ = writeln!(
        out,
        "**Reassignment:** {} replica move(s) (lower bound {}), **{bytes}** copied{partial}; {} partition(s) reassigned, {} preferred leader(s) change, {} partition(s) only reordered, {} created.\n",
        result.replicas_moved,
        result.lower_bound,
        result.changes.iter().filter(|c| !c.old_replicas.is_empty()).count(),
        result.leaders_changed,
        result.reorder_only,
        result.created
    );
    if let Some(line) = crate::render::election_line(result) {
        let _ = writeln!(out, "**Leaders:** {line}.\n");
    }
    out.push_str(
        "| broker | replicas before | replicas after | leaders before | leaders after | bytes before | bytes after |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let ids: std::collections::BTreeSet<i32> = result.before.keys().chain(result.after.keys()).copied().collect();
    for id in ids {
        let before = result.before.get(&id).copied().unwrap_or_default();
        let after = result.after.get(&id).copied().unwrap_or_default();
        let name = if brokers_before.contains(&id) {
            id.to_string()
        } else {
            format!("{id} (new)")
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            before.replicas,
            after.replicas,
            before.leaders,
            after.leaders,
            human_bytes(before.bytes),
            human_bytes(after.bytes)
        );
    }
    let (replicas_before, replicas_after): (usize, usize) = (
        result.before.values().map(|l| l.replicas).sum(),
        result.after.values().map(|l| l.replicas).sum(),
    );
    let _ = writeln!(out, "| **total** | {replicas_before} | {replicas_after} | | | | |\n");
}

fn pinot(plan: &Plan, out: &mut String) {
    let pinot = &plan.pinot;
    out.push_str("### Pinot\n\n");
    for server in &pinot.servers {
        let _ = writeln!(
            out,
            "- `{}`: {} -> {} servers",
            server.workload, server.before, server.after
        );
    }
    if pinot.skipped {
        out.push_str(
            "- **SKIPPED by `--skip-pinot`**: the metrics tables are not rebalanced; rebalance them by hand\n",
        );
    } else if !pinot.observed {
        out.push_str("- Pinot was not observed: nothing is rebalanced and apply does not check its segments\n");
    }
    for note in &pinot.notes {
        let _ = writeln!(out, "- {}", cell(note));
    }
    out.push('\n');
    if pinot.tables.is_empty() {
        out.push_str("No table is rebalanced by hand.\n\n");
        return;
    }
    let _ = writeln!(
        out,
        "Rebalanced one at a time with parameter set `{}`; done when every segment is GOOD:\n",
        pinot.parameter_set.as_deref().unwrap_or("?")
    );
    out.push_str("| table | type | servers before | servers after | why |\n|---|---|---:|---:|---|\n");
    for table in &pinot.tables {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            table.table,
            table.table_type,
            table.servers_before,
            table.servers_after,
            cell(&table.why)
        );
    }
    out.push_str("\n```\n");
    for table in &pinot.tables {
        let query: Vec<String> = table.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "POST /tables/{}/rebalance?{}", table.table, query.join("&"));
    }
    out.push_str("```\n\n");
}

fn fingerprints(plan: &Plan, out: &mut String) {
    out.push_str(
        "### What the plan was made against\n\n\
         `kfscale apply` refuses this plan when any of these changed since (a different world than the one reviewed):\n\n\
         | system | fingerprint (sha256) |\n|---|---|\n",
    );
    for (system, hash) in plan.fingerprints.systems() {
        let _ = writeln!(out, "| {system} | `{hash}` |");
    }
    if let Some(state) = &plan.state {
        let _ = writeln!(out, "| state | lineage `{}`, serial {} |", state.lineage, state.serial);
    }
    out.push('\n');
}

fn how_to_apply(plan: &Plan, plan_file: &str, checksum: &str, out: &mut String) {
    out.push_str("### Apply exactly this plan\n\n");
    if plan.has_failed_checks() {
        out.push_str("This plan cannot be applied: a pre-check failed. Fix it and make a new plan.\n");
        return;
    }
    let _ = writeln!(
        out,
        "```sh\nkfscale apply {plan_file}\n```\n\n\
         The apply refuses any other plan file while it runs and records this plan's fingerprint \
         (`{}`) as `run.plan_checksum` in its state (`kfscale status --json`). \
         Afterwards, `kfscale verify` runs the validation checklist.",
        checksum.trim_start_matches("sha256:")
    );
}

/// Text safe inside a Markdown table cell: pipes escaped, line breaks as `<br>`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// Every live Deployment and StatefulSet with replicas and what the plan does to it.
fn fates(values: &crate::plan::ValuesPlan, out: &mut String) {
    use crate::plan::Fate;
    if values.workload_fates.is_empty() {
        return;
    }
    out.push_str("| workload | kind | replicas | fate |\n|---|---|---|---|\n");
    for fate in &values.workload_fates {
        let (counts, what) = match &fate.fate {
            Fate::Scaled {
                path,
                before,
                after,
                by,
            } => (format!("{before} -> {after}"), format!("scaled by {by} at `{path}`")),
            Fate::Fixed { path, count, why } => (count.to_string(), format!("fixed at `{path}`: {why}")),
            Fate::NotCovered { why, fix } => (fate.live_replicas.to_string(), format!("**not covered**: {why}; {fix}")),
        };
        let _ = writeln!(
            out,
            "| {} | {:?} | {counts} | {} |",
            fate.workload,
            fate.kind,
            cell(&what)
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_and_line_breaks() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
    }

    #[test]
    fn the_fence_outgrows_backticks_in_the_diff() {
        assert_eq!(longest_backtick_run("x ``` y `"), 3);
        assert_eq!(longest_backtick_run("plain"), 0);
    }
}
