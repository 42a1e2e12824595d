//! Per-broker replica and leader counts before and after, with bars, so balance is visible at a glance.
use std::collections::BTreeSet;
use std::fmt::Write;

use super::style::Style;
use crate::balance::BalanceResult;

const BAR_WIDTH: usize = 24;

pub fn render_broker_table(result: &BalanceResult, brokers_before: &[i32], s: Style, out: &mut String) {
    let ids: BTreeSet<i32> = result.before.keys().chain(result.after.keys()).copied().collect();
    let max = result
        .before
        .values()
        .chain(result.after.values())
        .map(|load| load.replicas)
        .max()
        .unwrap_or(0)
        .max(1);
    let _ = writeln!(
        out,
        "      {:>7}  {:<width$}  {:>15}  {:>13}",
        "broker",
        "replicas after",
        "replicas",
        "leaders",
        width = BAR_WIDTH
    );
    for id in ids {
        let before = result.before.get(&id).copied().unwrap_or_default();
        let after = result.after.get(&id).copied().unwrap_or_default();
        let filled = after.replicas * BAR_WIDTH / max;
        let bar = format!("{}{}", "█".repeat(filled), " ".repeat(BAR_WIDTH - filled));
        let marker = if brokers_before.contains(&id) { " " } else { "+" };
        let _ = writeln!(
            out,
            "    {}{:>7}  {}  {:>6} -> {:<6}  {:>5} -> {:<5}",
            s.green(marker),
            id,
            if brokers_before.contains(&id) {
                bar
            } else {
                s.green(&bar)
            },
            before.replicas,
            after.replicas,
            before.leaders,
            after.leaders
        );
    }
}
