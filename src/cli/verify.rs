//! `kfscale verify`: the runbook's validation checklist against the live cluster, at any time (after
//! an apply, or on its own after any change): each check GREEN / YELLOW / RED with its evidence.
//! Exit 0 when no check is RED (every check green, or yellow ones listed), 3 when one is, 1 on
//! error (bad config, Kubernetes unreachable).
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::connect::{ConfigContext, Reach, reach_kafka, reach_pinot};
use crate::engine::settings::ApplySettings;
use crate::files::choose_profile;
use crate::observe::values_text_for_profile;
use crate::render::Style;
use crate::state::State;
use crate::verify::{self, Status};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
    /// Profile: kraft, legacy, or a profile file (which workloads must be spread).
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Seconds over which consumer lag is sampled for its trend (default: validate.lag_window_seconds,
    /// 15); 0 takes one sample and no trend.
    #[arg(long, value_name = "SECONDS")]
    pub window: Option<f64>,
    /// The report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No colours even on a terminal.
    #[arg(long)]
    pub no_color: bool,
}

/// Exit code when some check is RED (1 is an error, 2 means changes for plan).
const RED_EXIT: u8 = 3;

pub async fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.kube.require_config(args.config.as_deref(), "verify")?;
    let mut settings = ApplySettings::from_env().with_config(&loaded.config, &loaded.origin)?;
    if let Some(seconds) = args.window {
        settings.lag_window = Duration::try_from_secs_f64(seconds)
            .map_err(|_| anyhow::anyhow!("--window {seconds}: give 0 or a positive number of seconds"))?;
    }
    let state = loaded.state_store().load()?;
    let context = loaded.context();
    let profile = choose_profile(
        args.profile.as_deref(),
        Some((&loaded.config, loaded.origin.as_str())),
        &values_text_for_profile(&context)?,
    )?;
    let report = checklist(&context, &profile, &settings, state.as_ref()).await?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        crate::out!(
            "{}",
            verify::render::render_report(&report, Style::for_stdout(args.no_color))
        );
    }
    Ok(ExitCode::from(match report.status {
        Status::Red => RED_EXIT,
        Status::Green | Status::Yellow => 0,
    }))
}

async fn checklist(
    context: &ConfigContext<'_>,
    profile: &crate::profile::Profile,
    settings: &ApplySettings,
    state: Option<&State>,
) -> anyhow::Result<verify::Report> {
    let config = context.config;
    // The config's own mistakes (a missing token file) first, before anything is contacted.
    let grafana = match crate::connect::grafana(context)? {
        Some(grafana) => Reach::Ready(grafana),
        None => Reach::NotChecked(format!(
            "no grafana: section in {} (set grafana.url to check the alert rules)",
            context.origin
        )),
    };
    let kube = context.kube().await.context("connecting to Kubernetes")?;
    let selector = config.cluster.as_ref().map(crate::config::ClusterConfig::pool_selector);
    let pool = selector.as_ref();
    let kafka = reach_kafka(context, profile, &kube).await;
    let pinot = reach_pinot(context).await;
    // The last apply: the chart version it pinned and the rules that fired before it.
    let run = state.and_then(|s| s.run.as_ref());
    let inputs = verify::Inputs {
        kube: &kube,
        pool,
        spread_workloads: profile.workloads.keys().cloned().collect::<BTreeSet<_>>(),
        planned: Default::default(),
        release: &config.helm.release,
        expected_chart_version: run.map(|r| r.plan.release.chart_version.as_str()),
        kafka: kafka.as_ref(),
        pinot: pinot.as_ref(),
        grafana: grafana.as_ref(),
        baseline: run.and_then(|r| r.alerting_before.as_ref()),
        max_consumer_lag: settings.max_consumer_lag,
        lag_window: settings.lag_window,
        lag_samples: settings.lag_samples,
        max_freshness_lag: settings.max_freshness_lag,
        control_plane_alerts: &settings.control_plane_alerts,
        customer_throttles: run.map(|r| &r.plan.kafka.throttles_before),
        internal_topics: &profile.kafka.internal_topics,
        leaders_elected: run.is_some_and(crate::engine::leaders_elected),
    };
    Ok(verify::run(&inputs).await)
}
