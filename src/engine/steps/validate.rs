//! The last checks before the change is recorded: every workload Ready and spread, Kafka settled
//! (no reassignment in flight, no throttle left, consumers caught up) and every Pinot table's
//! segments GOOD. A system the plan did not observe is skipped, and the summary says so.
use kfscale_pinot::Pinot;

use super::kafka_health;
use super::pinot_segments::wait_all_good;
use super::workload_health::wait_healthy;
use crate::engine::context::{Outcome, StepContext, StepError};

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let mut checked = Vec::new();

    let health = wait_healthy(ctx, ctx.settings.rollout_timeout).await?;
    ctx.observe("spread", &health.spreads);
    checked.push(format!(
        "{} workloads Ready, spread over {} nodes",
        health.workloads, health.nodes
    ));

    // The plan's reassignment is None exactly when it did not observe Kafka.
    match (&ctx.systems.kafka, ctx.plan.kafka.reassignment.is_some()) {
        (Some(admin), true) => {
            let kafka = kafka_health::check(ctx, admin).await?;
            checked.push(format!(
                "Kafka: no reassignment in flight, no throttle left, consumer lag at most {} on all {} partitions of {} groups (highest {})",
                ctx.settings.max_consumer_lag, kafka.partitions, kafka.groups, kafka.highest_lag
            ));
            ctx.observe("kafka", &kafka);
        }
        _ => checked.push("Kafka not checked (the plan did not observe it)".into()),
    }

    match &ctx.systems.pinot {
        Some(pinot) if ctx.plan.pinot.observed => {
            let tables = pinot_tables(pinot).await?;
            let counts = wait_all_good(ctx, pinot, &tables).await?;
            let segments: u32 = counts.values().map(|c| c.good).sum();
            checked.push(format!(
                "Pinot: all {segments} segments of {} tables GOOD",
                tables.len()
            ));
            ctx.observe("pinot_tables", &tables);
        }
        _ => checked.push("Pinot not checked (the plan did not observe it)".into()),
    }

    for line in &checked {
        ctx.info(line);
    }
    ctx.observe("checked", &checked);
    Ok(Outcome::Done(checked.join("; ")))
}

/// Every table of the controller, with its type (one name per type it has).
async fn pinot_tables(pinot: &Pinot) -> Result<Vec<String>, StepError> {
    let mut names = Vec::new();
    for raw in pinot.tables().await? {
        names.extend(pinot.table_configs(&raw).await?.into_iter().map(|config| config.name));
    }
    Ok(names)
}
