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

use super::loaded_config::LoadedConfig;
use super::observe_live::values_text_for_profile;
use super::profile_choice::choose_profile;
use crate::config::ClusterConfig;
use crate::engine::settings::ApplySettings;
use crate::observe::ConfigContext;
use crate::render::Style;
use crate::state::State;
use crate::verify::{self, Reach, Status};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Config file (default: ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile: kraft, legacy, or a profile file (which workloads must be spread).
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Seconds over which consumer lag is sampled for its trend (default: validate.lag_window_seconds,
    /// 5); 0 takes one sample and no trend.
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

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let loaded = LoadedConfig::require(args.config.as_deref(), "verify")?;
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(checklist(&context, &profile, &settings, state.as_ref()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!(
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
    let grafana = crate::observe::grafana::connect(context)?;
    let kube = context.kube().await.context("connecting to Kubernetes")?;
    let pool = match &config.cluster {
        Some(ClusterConfig::Aws { nodegroup, .. }) => Some(("eks.amazonaws.com/nodegroup", nodegroup.as_str())),
        Some(ClusterConfig::Gcp { pool, .. }) => Some(("cloud.google.com/gke-nodepool", pool.as_str())),
        None => None,
    };
    let kafka = connect_kafka(context, profile, &kube).await;
    let pinot = connect_pinot(context).await;
    // The last apply: the chart version it pinned and the rules that fired before it.
    let run = state.and_then(|s| s.run.as_ref());
    let inputs = verify::Inputs {
        kube: &kube,
        pool,
        spread_workloads: profile.workloads.keys().cloned().collect::<BTreeSet<_>>(),
        planned: Default::default(),
        release: &config.helm.release,
        expected_chart_version: run.map(|r| r.plan.release.chart_version.as_str()),
        kafka: reach(&kafka),
        pinot: reach(&pinot),
        grafana: match &grafana {
            Some(grafana) => Reach::Ready(grafana),
            None => Reach::NotChecked(format!(
                "no grafana: section in {} (set grafana.url to check the alert rules)",
                context.origin
            )),
        },
        baseline: run.and_then(|r| r.alerting_before.as_ref()),
        max_consumer_lag: settings.max_consumer_lag,
        lag_window: settings.lag_window,
        lag_samples: settings.lag_samples,
    };
    Ok(verify::run(&inputs).await)
}

/// How a system was reached: the client, or why its checks are YELLOW (not configured and the
/// default port-forward failed) or RED (configured and failing).
enum Reached<T> {
    Ready(T),
    NotChecked(String),
    Failed(String),
}

fn reach<T>(reached: &Reached<T>) -> Reach<'_, T> {
    match reached {
        Reached::Ready(client) => Reach::Ready(client),
        Reached::NotChecked(why) => Reach::NotChecked(why.clone()),
        Reached::Failed(err) => Reach::Failed(err.clone()),
    }
}

/// With a `kafka:` section, its connection (failures are RED); without one, a port-forward to the
/// broker pods, probed with one Metadata request (failures are YELLOW: kfscale was not told how to
/// reach Kafka).
async fn connect_kafka(
    context: &ConfigContext<'_>,
    profile: &crate::profile::Profile,
    kube: &kfscale_kube::Kube,
) -> Reached<kfscale_kafka::KafkaAdmin> {
    let configured = context.config.kafka.is_some();
    let brokers = kube.workloads().await.ok().and_then(|workloads| {
        workloads
            .into_iter()
            .find(|w| w.kind == kfscale_kube::WorkloadKind::StatefulSet && w.name == profile.kafka.broker_workload)
            .map(|w| w.replicas)
    });
    let namespace = &context.config.kubernetes.namespace;
    let admin = match crate::observe::kafka::connect(context, profile, namespace, brokers).await {
        Ok(admin) => admin,
        Err(err) if configured => return Reached::Failed(format!("{err:#}")),
        Err(err) => return Reached::NotChecked(format!("no kafka: section and no port-forward: {err:#}")),
    };
    if !configured && let Err(err) = admin.metadata().await {
        return Reached::NotChecked(format!(
            "no kafka: section and the port-forward to the brokers failed ({err}); set kafka.bootstrap in {}",
            context.origin
        ));
    }
    Reached::Ready(admin)
}

/// With `pinot.url`, that controller (failures are RED); without it, a port-forward to the
/// controller pod, probed with `GET /health` (failures are YELLOW).
async fn connect_pinot(context: &ConfigContext<'_>) -> Reached<kfscale_pinot::Pinot> {
    let configured = context.config.pinot.url.is_some();
    let pinot = match crate::observe::pinot::connect(context).await {
        Ok(pinot) => pinot,
        Err(err) if configured => return Reached::Failed(format!("{err:#}")),
        Err(err) => return Reached::NotChecked(format!("no pinot.url and no port-forward: {err:#}")),
    };
    if !configured && let Err(err) = pinot.health().await {
        return Reached::NotChecked(format!(
            "no pinot.url and the port-forward to the controller failed ({err}); set pinot.url in {}",
            context.origin
        ));
    }
    Reached::Ready(pinot)
}
