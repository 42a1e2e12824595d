//! `kfscale scale-values`: the values rewrite on its own, for review without a cluster.
//! The new file goes to stdout, the change list to stderr.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::plan::load_config;
use crate::config::planning_error;
use crate::files::choose_profile;
use crate::files::read_values_text;
use crate::plan::{ExpectedGrowth, GrowthFactor, scale_values_text};

#[derive(Debug, Args)]
pub struct ScaleValuesArgs {
    /// The customer values file.
    #[arg(long, value_name = "FILE")]
    pub values: PathBuf,
    /// Nodes now.
    #[arg(long, value_name = "N")]
    pub from_nodes: u32,
    /// Nodes after the scale-out.
    #[arg(long, value_name = "N2")]
    pub to_nodes: u32,
    /// Size Kafka partitions for F times today's volume on top of the node ratio, as
    /// `kfscale plan --expected-growth F`.
    #[arg(long, value_name = "F", value_parser = GrowthFactor::parse)]
    pub expected_growth: Option<GrowthFactor>,
    /// Profile: kraft, legacy, or a profile file.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Config file with profile overrides (default: ./kfscale.yaml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: &ScaleValuesArgs) -> anyhow::Result<ExitCode> {
    let shown = args.values.display().to_string();
    let text = read_values_text(&args.values)?;
    let config = load_config(args.config.as_deref())?;
    let config_ref = config.as_ref().map(|(config, origin)| (config, origin.as_str()));
    let profile = choose_profile(args.profile.as_deref(), config_ref, &text)?;
    let growth = ExpectedGrowth {
        flag: args.expected_growth,
        settings: config
            .as_ref()
            .map(|(config, _)| config.partition_growth.clone())
            .unwrap_or_default(),
    };
    let (plan, new_text) = scale_values_text(&shown, &text, &profile, args.from_nodes, args.to_nodes, &growth)
        .map_err(|err| planning_error(err, config.as_ref().map(|(_, origin)| origin.as_str()), None))?;
    // The customer's file, for the operator to save: printed as it is, secrets included.
    crate::output::write_customer_file(&new_text);
    crate::eoutln!(
        "{shown}: {} change(s), {} -> {} nodes, profile {}",
        plan.changes.len(),
        args.from_nodes,
        args.to_nodes,
        profile.name
    );
    for change in &plan.changes {
        let (sign, line) = if change.added {
            ("+", "new".to_string())
        } else {
            ("~", change.line.to_string())
        };
        crate::eoutln!(
            "  {sign} line {:>4}  {}  {} -> {}  ({}: {})",
            line,
            change.path,
            change.old,
            change.new,
            change.rule,
            change.reason
        );
    }
    for missing in &plan.missing {
        crate::eoutln!("  ? {} ({}): {}", missing.path, missing.subject, missing.consequence);
    }
    for note in &plan.notes {
        crate::eoutln!("  # {note}");
    }
    Ok(ExitCode::SUCCESS)
}
