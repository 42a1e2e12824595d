//! The last checks before the change is recorded. First the waits: every workload Ready and spread,
//! Kafka settled (no reassignment in flight, no throttle left, consumers caught up) and every Pinot
//! table's segments GOOD. Then the whole validation checklist of `kfscale verify` (the same checks,
//! `crate::verify`), recorded in the step's `observed.checks`; a RED check fails the step. A system
//! the plan did not observe is not waited for and its checks are YELLOW, and the summary says so.
use std::collections::BTreeSet;

use kfscale_pinot::Pinot;

use super::kafka::health as kafka_health;
use super::pinot::segments::wait_all_good;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::workload_health::wait_healthy;
use crate::verify::{self, Reach, Status};

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let mut checked = Vec::new();

    let health = wait_healthy(ctx, ctx.settings.rollout_timeout).await?;
    ctx.observe("spread", &health.spreads);
    checked.push(format!(
        "{} workloads Ready, spread over {} nodes",
        health.workloads, health.nodes
    ));

    // The plan's reassignment is None exactly when it did not observe Kafka.
    let kafka_observed = ctx.systems.kafka.is_some() && ctx.plan.kafka.reassignment.is_some();
    match (&ctx.systems.kafka, kafka_observed) {
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

    let pinot_observed = ctx.systems.pinot.is_some() && ctx.plan.pinot.observed;
    match &ctx.systems.pinot {
        Some(pinot) if pinot_observed => {
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

    let report = checklist(ctx, kafka_observed, pinot_observed).await;
    ctx.observe("checks", &report);
    for check in &report.checks {
        ctx.info(&format!("{} {}: {}", check.status.as_str(), check.name, check.summary));
    }
    let red: Vec<String> = report.red().map(verify::Check::line).collect();
    if !red.is_empty() {
        return Err(StepError::failed(format!(
            "the validation checklist has {} RED check(s): {}; fix: see `kfscale verify` for the evidence and fixes, then re-run `kfscale apply` to validate again",
            red.len(),
            red.join(" | ")
        )));
    }
    let count = |status: Status| report.checks.iter().filter(|c| c.status == status).count();
    checked.push(format!(
        "checklist: {} green, {} yellow",
        count(Status::Green),
        count(Status::Yellow)
    ));
    for line in &checked {
        ctx.info(line);
    }
    ctx.observe("checked", &checked);
    Ok(Outcome::Done(checked.join("; ")))
}

/// The checklist of `kfscale verify` against what this apply planned.
async fn checklist(ctx: &StepContext<'_>, kafka_observed: bool, pinot_observed: bool) -> verify::Report {
    let systems = ctx.systems;
    let plan = ctx.plan;
    let planned = plan
        .values
        .workloads
        .iter()
        .map(|(name, count)| (name.clone(), count.after))
        .collect();
    let spread_workloads: BTreeSet<String> = plan.values.workloads.keys().cloned().collect();
    let baseline = ctx.state.run.as_ref().and_then(|run| run.alerting_before.clone());
    let not_observed = |system: &str| format!("the plan did not observe {system}");
    let inputs = verify::Inputs {
        kube: &systems.kube,
        pool: Some(&systems.pool_selector),
        spread_workloads,
        planned,
        release: &systems.helm_release,
        expected_chart_version: Some(&plan.release.chart_version),
        kafka: match &systems.kafka {
            Some(admin) if kafka_observed => Reach::Ready(admin),
            _ => Reach::NotChecked(not_observed("Kafka")),
        },
        pinot: match &systems.pinot {
            Some(pinot) if pinot_observed => Reach::Ready(pinot),
            _ => Reach::NotChecked(not_observed("Pinot")),
        },
        grafana: match &systems.grafana {
            Some(grafana) => Reach::Ready(grafana),
            None => Reach::NotChecked("no grafana: section in kfscale.yaml".into()),
        },
        baseline: baseline.as_ref(),
        max_consumer_lag: ctx.settings.max_consumer_lag,
        lag_window: ctx.settings.lag_window,
        lag_samples: ctx.settings.lag_samples,
        max_freshness_lag: ctx.settings.max_freshness_lag,
        control_plane_alerts: &ctx.settings.control_plane_alerts,
        customer_throttles: Some(&plan.kafka.throttles_before),
        internal_topics: &plan.profile.kafka.internal_topics,
        leaders_elected: ctx.state.run.as_ref().is_some_and(crate::engine::leaders_elected),
    };
    verify::run(&inputs).await
}

/// Every table of the controller, with its type (one name per type it has).
async fn pinot_tables(pinot: &Pinot) -> Result<Vec<String>, StepError> {
    Ok(verify::typed_tables(pinot)
        .await?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}
