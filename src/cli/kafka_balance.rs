//! `kfscale kafka-balance`: the balancer on Kafka's own reassignment JSON files.
//!
//! stdout: the proposed reassignment (only partitions that change) for
//! `kafka-reassign-partitions --execute`. stderr: the summary. Nothing is written to stdout
//! unless the whole proposal is computed.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::balance::report::render_summary;
use crate::balance::tool_json::{brokers_with_racks, creations, parse_assignment, write_reassignment};
use crate::balance::{BalanceError, BalanceRequest, Partition, balance};

#[derive(Debug, Args)]
pub struct KafkaBalanceArgs {
    /// Current assignment: {"version":1,"partitions":[{"topic","partition","replicas"}]}
    /// (optional per partition: "size_bytes"; "log_dirs" is ignored; empty "replicas" = a
    /// partition to create).
    #[arg(long)]
    pub assignment: PathBuf,
    /// Target broker ids, comma separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub brokers: Vec<i32>,
    /// Broker racks: id=rack, comma separated (all brokers or none).
    #[arg(long, value_delimiter = ',')]
    pub racks: Vec<String>,
}

pub fn run(args: &KafkaBalanceArgs) -> anyhow::Result<ExitCode> {
    let file = args.assignment.display().to_string();
    let text = std::fs::read_to_string(&args.assignment)
        .with_context(|| format!("{file}: cannot read the assignment file"))?;
    let partitions = parse_assignment(&text).with_context(|| file.clone())?;
    // The text is as large as the parsed assignment: free it before balancing.
    drop(text);
    let brokers = brokers_with_racks(&args.brokers, &args.racks).context("--racks")?;
    let request = BalanceRequest { partitions, brokers };
    let result = balance(&request).map_err(|err| {
        let place = if blames_broker_flags(&err) {
            "--brokers/--racks".to_string()
        } else {
            file.clone()
        };
        anyhow::Error::new(err).context(place)
    })?;

    let mut proposal = Vec::new();
    write_reassignment(&result, &mut proposal).context("rendering the reassignment")?;
    let mut summary = render_summary(&result);
    summary.push_str(&creation_hints(&request.partitions, &result));
    if result.changes.iter().any(|c| !c.old_replicas.is_empty()) {
        summary.push_str(
            "\napply: kafka-reassign-partitions --bootstrap-server HOST:PORT \
             --reassignment-json-file PROPOSAL.json --execute [--throttle BYTES_PER_SEC]\n\
             then, once --verify reports completion: kafka-leader-election --bootstrap-server \
             HOST:PORT --election-type PREFERRED --all-topic-partitions\n",
        );
    } else {
        summary.push_str("\nnothing to reassign: the assignment is already balanced\n");
    }

    crate::output::write_bytes(&proposal);
    crate::eout!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// Errors about the broker list and racks point at the flags, all others at the file.
fn blames_broker_flags(err: &BalanceError) -> bool {
    matches!(
        err,
        BalanceError::NoBrokers
            | BalanceError::DuplicateBroker(_)
            | BalanceError::NegativeBrokerId(_)
            | BalanceError::PartialRacks { .. }
    )
}

/// How to create the new partitions: `kafka-reassign-partitions` only moves existing ones.
fn creation_hints(partitions: &[Partition], result: &crate::balance::BalanceResult) -> String {
    let created = creations(result);
    if created.is_empty() {
        return String::new();
    }
    // Final replicas of every partition of the topics that grow, by partition number.
    let mut final_replicas: BTreeMap<&str, BTreeMap<i32, Vec<i32>>> = BTreeMap::new();
    for p in partitions.iter().filter(|p| created.contains_key(p.topic.as_str())) {
        final_replicas
            .entry(p.topic.as_str())
            .or_default()
            .insert(p.partition, p.replicas.clone());
    }
    for change in &result.changes {
        if let Some(topic) = final_replicas.get_mut(change.topic.as_str()) {
            topic.insert(change.partition, change.new_replicas.clone());
        }
    }
    let mut out = String::from("\ncreate the new partitions first (no data is copied):\n");
    for (topic, new_partitions) in &created {
        let all = &final_replicas[topic];
        let first_new = new_partitions.iter().map(|(p, _)| *p).min().unwrap_or(0);
        let contiguous = all.keys().copied().eq(0..all.len() as i32);
        let tail = all.keys().filter(|&&p| p >= first_new).count() == new_partitions.len();
        if contiguous && tail {
            let assignment: Vec<String> = all
                .values()
                .map(|r| r.iter().map(i32::to_string).collect::<Vec<_>>().join(":"))
                .collect();
            out.push_str(&format!(
                "  kafka-topics --bootstrap-server HOST:PORT --alter --topic {topic} \
                 --partitions {} --replica-assignment {}\n",
                all.len(),
                assignment.join(",")
            ));
        } else {
            for (partition, replicas) in new_partitions {
                out.push_str(&format!("  {topic}-{partition}: replicas {replicas:?}\n"));
            }
        }
    }
    out
}
