//! The Pinot controller's view: tables (type, server tag, replication, segment status, the servers
//! holding their segments), instances with tags, and running rebalances.
//!
//! Requests: `GET /health` and `GET /tables`; per table `GET /tables/{t}` (the configs of both
//! types), `GET /tables/{t}/externalview` (both types), `GET /table/{t}/jobs` and one
//! `GET /tables/{t}/segmentsStatus` per type; `GET /instances` and one `GET /instances/{name}` per
//! instance (Pinot has no bulk read of instance tags). Nothing per segment or per partition. Tables
//! are read concurrently, instances eight at a time.
use anyhow::Context;
use kfscale_pinot::{Pinot as Controller, PinotError};
use tokio::task::JoinSet;

use super::Progress;
use crate::connect::ConfigContext;
use crate::snapshot::{Pinot, PinotInstance, PinotTable, RunningRebalance, SegmentCounts};

/// Instance reads in flight at once.
const INSTANCE_BATCH: usize = 8;

/// Observes Pinot as one progress step. With `pinot.url` set, a failure fails the observation; with
/// the default port-forward it is reported and Pinot is left unobserved (the `pinot` pre-check fails
/// unless the operator passed `--skip-pinot`).
pub async fn observe(context: &ConfigContext<'_>, progress: &mut Progress) -> anyhow::Result<Pinot> {
    let result = progress.step("pinot", read(context)).await;
    match result {
        Ok(pinot) => Ok(pinot),
        Err(err) if context.config.pinot.url.is_none() => {
            crate::eoutln!(
                "warning: Pinot was not observed: {err:#}\n  {}: no pinot.url, so kfscale tried a port-forward to pod {}:{} in namespace {}; the plan's `pinot` pre-check fails: set pinot.url, or pass --skip-pinot only if you will rebalance the metrics tables by hand",
                context.origin,
                context.config.pinot.pod,
                context.config.pinot.port,
                context.config.kubernetes.namespace
            );
            Ok(Pinot::default())
        }
        Err(err) => Err(err.context("observing Pinot")),
    }
}

async fn read(context: &ConfigContext<'_>) -> anyhow::Result<Pinot> {
    let controller = crate::connect::pinot(context).await?;
    let observed = read_controller(&controller).await;
    tracing::info!("Pinot requests: {:?}", controller.request_counts());
    observed
}

async fn read_controller(controller: &Controller) -> anyhow::Result<Pinot> {
    controller.health().await?;
    let mut reads = JoinSet::new();
    for raw in controller.tables().await? {
        let controller = controller.clone();
        reads.spawn(async move { read_table(&controller, &raw).await });
    }
    let (mut tables, mut running_rebalances) = (Vec::new(), Vec::new());
    while let Some(joined) = reads.join_next().await {
        let (table, running) = joined.context("a Pinot table read panicked")??;
        tables.extend(table);
        running_rebalances.extend(running);
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    running_rebalances.sort_by(|a, b| (&a.table, &a.job_id).cmp(&(&b.table, &b.job_id)));

    let mut instances = Vec::new();
    for batch in controller.instances().await?.chunks(INSTANCE_BATCH) {
        let mut reads = JoinSet::new();
        for name in batch {
            let (controller, name) = (controller.clone(), name.clone());
            reads.spawn(async move { controller.instance(&name).await });
        }
        while let Some(joined) = reads.join_next().await {
            let instance = joined.context("a Pinot instance read panicked")??;
            instances.push(PinotInstance {
                instance_type: instance.instance_type().to_string(),
                tags: instance.tags,
                enabled: instance.enabled,
                name: instance.name,
            });
        }
    }
    instances.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Pinot {
        tables,
        instances,
        running_rebalances,
    })
}

/// One raw table: a [`PinotTable`] per type it has, and its rebalances in progress.
async fn read_table(
    controller: &Controller,
    raw: &str,
) -> Result<(Vec<PinotTable>, Vec<RunningRebalance>), PinotError> {
    let (configs, view, jobs) = tokio::try_join!(
        controller.table_configs(raw),
        controller.external_view(raw),
        controller.table_jobs(raw, &["TABLE_REBALANCE"]),
    )?;
    let mut tables = Vec::new();
    for config in configs {
        let counts = controller.segments_status(raw, config.table_type).await?;
        tables.push(PinotTable {
            table_type: config.table_type.as_str().to_string(),
            server_tag: config.server_tag(),
            replication: config.replication,
            segments: SegmentCounts {
                good: counts.good,
                bad: counts.bad,
                // A status this build does not know is not GOOD: counted as still changing.
                updating: counts.updating + counts.other,
            },
            servers: view.serving_instances(config.table_type).into_iter().collect(),
            name: config.name,
        });
    }
    let running = jobs
        .into_iter()
        .filter(|job| job.status.as_deref() == Some("IN_PROGRESS"))
        .map(|job| RunningRebalance {
            table: job.table,
            job_id: job.job_id,
            status: "IN_PROGRESS".into(),
        })
        .collect();
    Ok((tables, running))
}
