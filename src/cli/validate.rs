//! `kfscale validate`: checks kfscale.yaml, the files it names and what this machine needs (the
//! kubeconfig context, helm, the customer repository, the AWS profile: `connect::local_setup`),
//! and prints what kfscale would connect to, without contacting anything. The first thing to run
//! on a new machine.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::config::ClusterConfig;
use crate::connect::local_setup;
use crate::files::choose_profile;
use crate::init::FILL_IN;
use crate::plan::{ExpectedGrowth, GrowthSettings};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
}

pub async fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    // Syntax, unknown keys and types fail here, naming the file, line and key.
    let loaded = args.kube.require_config(args.config.as_deref(), "validate")?;
    let context = loaded.context();
    let config = &loaded.config;
    let mut problems: Vec<String> = Vec::new();
    let mut lines: Vec<String> = Vec::new();

    match &config.cluster {
        Some(ClusterConfig::Aws {
            region,
            cluster,
            nodegroup,
            profile,
            endpoint,
            ..
        }) => lines.push(format!(
            "node pool   EKS node group {nodegroup} of cluster {cluster} in {}{}; credentials: {}",
            region.as_deref().unwrap_or("the region of AWS_REGION, AWS_DEFAULT_REGION or the AWS profile"),
            endpoint.as_ref().map(|e| format!(" at {e}")).unwrap_or_default(),
            profile
                .as_ref()
                .map(|p| format!("AWS profile {p}"))
                .unwrap_or_else(|| "the AWS credential chain (AWS_PROFILE, environment, SSO, instance role)".into())
        )),
        Some(ClusterConfig::Gcp {
            project,
            location,
            cluster,
            pool,
            endpoint,
            access_token_file,
            ..
        }) => {
            lines.push(format!(
                "node pool   GKE node pool {pool} of cluster {cluster} in {location}, project {project}{}; credentials: {}",
                endpoint.as_ref().map(|e| format!(" at {e}")).unwrap_or_default(),
                access_token_file
                    .as_ref()
                    .map(|f| format!("access token file {}", context.resolve(f).display()))
                    .unwrap_or_else(|| "Application Default Credentials".into())
            ));
            if let Some(file) = access_token_file {
                require_file(&context.resolve(file), "cluster.gcp.access_token_file", &mut problems);
            }
        }
        Some(ClusterConfig::Azure(azure)) => {
            lines.push(format!(
                "node pool   AKS agent pool {} of cluster {} in resource group {}, subscription {}{}; credentials: {}",
                azure.pool,
                azure.cluster,
                azure.resource_group,
                azure.subscription,
                azure.endpoint.as_ref().map(|e| format!(" at {e}")).unwrap_or_default(),
                azure
                    .access_token_file
                    .as_ref()
                    .map(|f| format!("access token file {}", context.resolve(f).display()))
                    .unwrap_or_else(|| "the Azure credential chain (service principal from the environment, workload identity, az login, managed identity)".into())
            ));
            if let Some(file) = &azure.access_token_file {
                require_file(&context.resolve(file), "cluster.azure.access_token_file", &mut problems);
            }
        }
        Some(ClusterConfig::External(external)) => {
            if external.node_selector.is_empty() {
                problems.push(format!(
                    "{}: cluster.external.node_selector is empty, which would take every node for the pool; fix: give the labels the Kloudfuse nodes carry, e.g. {{kf_role: data}}",
                    loaded.origin
                ));
            }
            lines.push(format!(
                "node pool   nodes labelled {} (kfscale adds none: apply waits for them)",
                crate::snapshot::PoolSelector(external.node_selector.clone())
            ));
        }
        None => problems.push(format!(
            "{}: no `cluster:` section; fix: add cluster.aws, cluster.gcp, cluster.azure or cluster.external (see examples/kfscale.yaml)",
            loaded.origin
        )),
    }

    if let Some(aws) = local_setup::aws(&context).await {
        match aws {
            Ok(target) => lines.push(format!(
                "aws         region {}{}",
                target.region,
                target.profile.map(|p| format!(", profile {p}")).unwrap_or_default()
            )),
            Err(problem) => problems.push(problem),
        }
    }

    for key in left_to_fill_in(config) {
        problems.push(format!(
            "{key} is still \"{FILL_IN}\": `kfscale init` could not find it; fix: set it in {} (`kfscale init` printed what it is)",
            loaded.origin
        ));
    }

    let kubernetes = &config.kubernetes;
    let kubeconfig = kubernetes.kubeconfig.as_ref().map(|p| context.resolve(p));
    let kube_context = local_setup::kube_context(&context);
    lines.push(format!(
        "kubernetes  {} context {}, namespace {}",
        kubeconfig
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "KUBECONFIG or ~/.kube/config".into()),
        match &kube_context {
            Ok(info) => format!(
                "{} (cluster {}{})",
                info.context,
                info.cluster,
                info.server.as_ref().map(|s| format!(" at {s}")).unwrap_or_default()
            ),
            Err(_) => kubernetes.context.clone().unwrap_or_else(|| "(current)".into()),
        },
        kubernetes.namespace
    ));
    if let Err(problem) = kube_context {
        problems.push(problem);
    }

    let helm = &config.helm;
    let binary = local_setup::helm_binary(&context);
    lines.push(format!(
        "helm        release {}, chart {}, binary {}{}",
        helm.release,
        helm.chart.as_deref().unwrap_or("(not set: apply needs it)"),
        binary.as_ref().unwrap_or(&helm.binary).display(),
        if helm.plain_http { ", plain HTTP registry" } else { "" }
    ));
    if let Err(problem) = binary {
        problems.push(problem);
    }
    if helm.chart.is_none() {
        problems.push(format!(
            "{}: helm.chart is not set; `apply` needs the chart reference the release was installed from; fix: set it (e.g. oci://.../kfuse-helm/kfuse)",
            loaded.origin
        ));
    }

    let mut values_text = String::new();
    match &config.values {
        Some(values) => {
            let path = context.resolve(&values.file);
            lines.push(format!("values      {}", path.display()));
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    // Read here to report every problem at once, not through files::read_values_text:
                    // its secrets are registered the same way.
                    crate::scrub::register_values_text(&path.display().to_string(), &text);
                    values_text = text;
                }
                Err(err) => problems.push(format!(
                    "{}: values.file {}: {err}; fix: point it at the customer values file",
                    loaded.origin,
                    path.display()
                )),
            }
        }
        None => problems.push(format!("{}: no `values:` section; fix: add values.file", loaded.origin)),
    }
    match &config.git {
        Some(git) => lines.push(format!(
            "git         {} branch {}{}",
            context.resolve(&git.repo).display(),
            git.branch.as_deref().unwrap_or("(current)"),
            git.remote
                .as_ref()
                .map(|r| format!(", push to {r}"))
                .unwrap_or_default()
        )),
        None => lines.push("git         (none: apply records nothing in git)".into()),
    }
    if let Some(Err(problem)) = local_setup::git_repo(&context) {
        problems.push(problem);
    }

    let profile = choose_profile(None, Some((config, &loaded.origin)), &values_text);
    match &profile {
        Ok(profile) => lines.push(format!("profile     {}", profile.name)),
        Err(err) => problems.push(format!("{err:#}")),
    }
    if let Ok(profile) = &profile {
        partition_growth(config, profile, &loaded.origin, &mut lines, &mut problems);
    }
    let kafka = config.kafka.clone().unwrap_or_default();
    let broker_set = profile
        .as_ref()
        .map(|p| p.kafka.broker_workload.clone())
        .unwrap_or_else(|_| "the broker StatefulSet".into());
    lines.push(if kafka.bootstrap.is_empty() || kafka.port_forward == Some(true) {
        format!(
            "kafka       port-forward to pods {broker_set}-0..2:9092 in namespace {}",
            kubernetes.namespace
        )
    } else {
        format!("kafka       {}", kafka.bootstrap.join(", "))
    });
    lines.push(match &config.pinot.url {
        Some(url) => format!("pinot       {url}"),
        None => format!(
            "pinot       port-forward to pod {}:{} in namespace {}",
            config.pinot.pod, config.pinot.port, kubernetes.namespace
        ),
    });
    lines.push(format!("state       {}", context.resolve(&config.state.dir).display()));

    crate::outln!("{}: kfscale would use", loaded.origin);
    for line in &lines {
        crate::outln!("  {line}");
    }
    if problems.is_empty() {
        crate::outln!("The configuration is valid (nothing was contacted).");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        crate::eoutln!("Error: {problem}");
    }
    Ok(ExitCode::from(1))
}

/// kfscale.yaml's `partition_growth`, when set: what it sizes the partitions for, and a stream
/// the profile does not have (its values were checked as the file was read; a topic is checked by
/// `plan`, which sees the values file's list and Kafka's topics).
fn partition_growth(
    config: &crate::config::Config,
    profile: &crate::profile::Profile,
    origin: &str,
    lines: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let settings = &config.partition_growth;
    if settings.is_empty() {
        return;
    }
    let mut parts: Vec<String> = settings.expected.iter().map(|f| format!("{f} by default")).collect();
    parts.extend(
        settings
            .streams
            .iter()
            .map(|(stream, f)| format!("{f} for stream {stream}")),
    );
    parts.extend(
        settings
            .topics
            .iter()
            .map(|(topic, f)| format!("{f} for topic {topic}")),
    );
    lines.push(format!("growth      partitions × (n+m)/n × {}", parts.join(", ")));
    let streams_only = ExpectedGrowth {
        flag: None,
        settings: GrowthSettings {
            topics: Default::default(),
            ..settings.clone()
        },
    };
    if let Err(err) = streams_only.check_names(&profile.kafka.streams, &|_| true) {
        problems.push(format!("{origin}: {err}"));
    }
}

/// The keys `kfscale init` wrote as [`FILL_IN`] and nobody filled in yet.
fn left_to_fill_in(config: &crate::config::Config) -> Vec<String> {
    fn walk(value: &serde_json::Value, path: String, found: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) if text == FILL_IN => found.push(path),
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    walk(value, format!("{path}.{key}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Ok(cluster) = serde_json::to_value(&config.cluster) {
        walk(&cluster, "cluster".into(), &mut found);
    }
    found
}

fn require_file(path: &Path, key: &str, problems: &mut Vec<String>) {
    if !path.is_file() {
        problems.push(format!(
            "{key}: {} does not exist; fix: correct the path",
            path.display()
        ));
    }
}
