//! `POST /tables/{t}/rebalance` as PinotTableRestletResource.rebalance runs it: a dry run (or pre-checks)
//! answers at once and changes nothing; `downtime=true` replaces the ideal state with the target at once
//! (untracked: no job to poll); otherwise a dry run first, then a tracked job, answered IN_PROGRESS.
use serde_json::{Value, json};

use super::assignment::{self, Target};
use super::engine::{Controller, JobStart};
use super::faults::{Fault, take_done_early};
use super::names::TableType;
use super::params::RebalanceConfig;
use super::prechecks::pre_checks;
use super::state::PinotError;
use super::summary::summary;
use crate::scaffold::faults::FaultList;

pub fn rebalance(
    controller: &mut Controller,
    faults: &mut FaultList<Fault>,
    table: &str,
    table_type: Option<&str>,
    config: RebalanceConfig,
    now: u64,
) -> Result<Value, PinotError> {
    let name = with_type(table, table_type)?;
    if !controller.cluster.tables.contains_key(&name) {
        return Err(PinotError::new(
            404,
            format!("Failed to find table config for table: {name}"),
        ));
    }
    if config.batch_size_per_server == 0 || config.batch_size_per_server < -1 {
        // Preconditions.checkState in TableRebalancer, uncaught by the resource: a 500.
        return Err(PinotError::new(
            500,
            "TableRebalance batchSizePerServer must be > 0 or -1 to disable",
        ));
    }
    let job_id = controller.new_job_id(now);
    if config.dry_run || config.pre_checks {
        return Ok(dry_run(controller, &name, &config, &job_id).0);
    }
    if config.downtime {
        return downtime(controller, &name, &config, &job_id, now);
    }
    let mut dry_config = config.clone();
    dry_config.dry_run = true;
    let (result, target) = dry_run(controller, &name, &dry_config, &job_id);
    let Some(target) = target.filter(|_| result["status"] == "DONE") else {
        return Ok(result);
    };
    conflict(controller, &name)?;
    if result["description"] == "Instance reassigned, table is already balanced" {
        // The job returns at once without writing to ZK; the resource hands back its result.
        persist_instances(controller, &name, &target);
        return Ok(result);
    }
    let start = JobStart {
        id: job_id.clone(),
        original_id: job_id.clone(),
        attempt: 1,
        config: &config,
        done_early: take_done_early(faults),
    };
    controller.start_job(&name, start, target, now);
    let mut answer = result;
    answer["status"] = json!("IN_PROGRESS");
    answer["description"] = json!("In progress, check controller logs for updates");
    Ok(answer)
}

/// `DELETE /tables/{t}/rebalance?type=`: the ids of the jobs cancelled (none is not an error).
pub fn cancel(
    controller: &mut Controller,
    table: &str,
    table_type: Option<&str>,
    now: u64,
) -> Result<Value, PinotError> {
    let name = with_type(table, table_type)?;
    Ok(json!(controller.cancel(&name, super::jobs::CANCELLED, now)))
}

/// `constructTableNameWithType`: `type` is required and must name a table type.
pub fn with_type(table: &str, table_type: Option<&str>) -> Result<String, PinotError> {
    let text = table_type.unwrap_or("null");
    let parsed = table_type
        .and_then(TableType::parse)
        .ok_or_else(|| PinotError::new(400, format!("Illegal table type: {text}")))?;
    Ok(parsed.with_type(table))
}

fn conflict(controller: &Controller, table: &str) -> Result<(), PinotError> {
    match controller.in_progress(table) {
        Some(job) => Err(PinotError::new(
            409,
            format!(
                "Rebalance job is already in progress for table: {table}, jobId: {}. Please wait for the job to complete \
                 or cancel it before starting a new one.",
                job.id
            ),
        )),
        None => Ok(()),
    }
}

fn persist_instances(controller: &mut Controller, table: &str, target: &Target) {
    if let Some(table) = controller.cluster.tables.get_mut(table) {
        table.instance_partitions = target.instances.clone();
    }
}

/// A RebalanceResult with Jackson's NON_NULL rules: absent parts are left out.
fn result(job_id: &str, status: &str, description: &str, parts: Option<(&Target, Value, Value, Value)>) -> Value {
    let mut value = json!({"jobId": job_id, "status": status, "description": description});
    if let Some((target, instance_assignment, pre_checks, summary)) = parts {
        if !pre_checks.is_null() {
            value["preChecksResult"] = pre_checks;
        }
        if !summary.is_null() {
            value["rebalanceSummaryResult"] = summary;
        }
        value["instanceAssignment"] = instance_assignment;
        value["tierInstanceAssignment"] = json!({});
        value["segmentAssignment"] = json!(target.assignment);
    }
    value
}

/// TableRebalancer's path up to the dry-run return: the result and, when it computed one, the target.
fn dry_run(controller: &Controller, name: &str, config: &RebalanceConfig, job_id: &str) -> (Value, Option<Target>) {
    if config.pre_checks && !config.dry_run {
        let message = "Pre-checks can only be enabled in dry-run mode, not triggering rebalance";
        return (result(job_id, "FAILED", message, None), None);
    }
    let table = &controller.cluster.tables[name];
    let target = match assignment::target(&controller.cluster, table, config) {
        Ok(target) => target,
        Err(message) => {
            let description = format!("Caught exception while fetching/calculating instance partitions: {message}");
            return (result(job_id, "FAILED", &description, None), None);
        }
    };
    let instance_assignment = target.instance_assignment(table);
    let current = &table.ideal;
    let summary = if config.disable_summary && !config.pre_checks {
        Value::Null
    } else {
        summary(&controller.cluster, table, current, &target.assignment)
    };
    let pre_checks = if config.pre_checks {
        let max_added = summary["segmentInfo"]["maxSegmentsAddedToASingleServer"]
            .as_u64()
            .map(|n| n as usize);
        pre_checks(
            &controller.cluster,
            table,
            config,
            current,
            &target.assignment,
            max_added,
        )
    } else {
        Value::Null
    };
    let (status, description) = if *current == target.assignment {
        if target.instances_unchanged {
            ("NO_OP", "Table is already balanced")
        } else {
            ("DONE", "Instance reassigned, table is already balanced")
        }
    } else {
        ("DONE", "Dry-run mode")
    };
    let value = result(
        job_id,
        status,
        description,
        Some((&target, instance_assignment, pre_checks, summary)),
    );
    (value, Some(target))
}

/// `downtime=true`: checked for a running job, then the ideal state jumps to the target in one write.
fn downtime(
    controller: &mut Controller,
    name: &str,
    config: &RebalanceConfig,
    job_id: &str,
    now: u64,
) -> Result<Value, PinotError> {
    conflict(controller, name)?;
    let (mut value, target) = dry_run(controller, name, config, job_id);
    let Some(target) = target else { return Ok(value) };
    persist_instances(controller, name, &target);
    if value["status"] != "DONE" || value["description"] != "Dry-run mode" {
        return Ok(value);
    }
    controller.cluster.set_ideal(name, target.assignment.clone(), now);
    value["description"] = json!(
        "Success with downtime (replaced IdealState with the target segment assignment, ExternalView might not reach \
         the target segment assignment yet)"
    );
    Ok(value)
}
