//! `kfscale init` on the rig (#17 item 4): a customer installed with real helm on an EKS node
//! group (moto), a kubeconfig as `aws eks update-kubeconfig` writes it. init finds the release,
//! its namespace, the node group, the cluster and region, the customer repo; the file it writes
//! parses as kfscale.yaml, and once the chart is filled in `validate` passes and a plan runs from
//! it, with the AWS region and credentials taken from a named profile (item 3).
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use kfscale::config::{ClusterConfig, Config};

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, kfscale_command, text};

/// The rig's kubeconfig with its cluster entry renamed to the EKS cluster's ARN, as `aws eks
/// update-kubeconfig` names it (written as JSON, which is YAML).
fn eks_style_kubeconfig(customer: &Customer, dir: &Path) -> Result<PathBuf> {
    let mut file = kube::config::Kubeconfig::read_from(customer.rig.get("KUBECONFIG")?)?;
    let arn = format!("arn:aws:eks:us-east-1:123456789012:cluster/{}", customer.cluster.id);
    let current = file
        .current_context
        .clone()
        .context("the rig's kubeconfig has no current context")?;
    let context = file
        .contexts
        .iter_mut()
        .find(|c| c.name == current)
        .and_then(|c| c.context.as_mut())
        .context("current context")?;
    let old = std::mem::replace(&mut context.cluster, arn.clone());
    for cluster in file.clusters.iter_mut().filter(|c| c.name == old) {
        cluster.name = arn.clone();
    }
    let path = dir.join("eks-kubeconfig");
    std::fs::write(&path, serde_json::to_string(&file)?)?;
    Ok(path)
}

#[tokio::test(flavor = "multi_thread")]
async fn init_writes_a_kfscale_yaml_that_validates_and_plans() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::single_az("init")).await?;
    let scratch = customer.config.parent().context("scratch")?.to_path_buf();
    let kubeconfig = eks_style_kubeconfig(&customer, &scratch)?;
    let repo = &customer.repo;
    let namespace = customer.cluster.id.as_str();
    let init = |extra: &[&str]| {
        let mut args = vec![
            "init",
            "--kubeconfig",
            kubeconfig.to_str().unwrap_or_default(),
            "-n",
            namespace,
        ];
        args.extend_from_slice(extra);
        kfscale_command(&customer.rig, &args).current_dir(repo).output()
    };

    let output = init(&["--values", "values.yaml"])?;
    let (stdout, stderr) = text(&output);
    ensure!(output.status.success(), "init failed:\n{stderr}\n{stdout}");
    let written = repo.join("kfscale.yaml");
    let config = Config::load(&written).with_context(|| std::fs::read_to_string(&written).unwrap_or_default())?;
    let Some(ClusterConfig::Aws {
        region,
        cluster,
        nodegroup,
        profile,
        ..
    }) = &config.cluster
    else {
        anyhow::bail!("not an EKS pool: {:?}", config.cluster);
    };
    assert_eq!(cluster, namespace, "from the kubeconfig's ARN:\n{stdout}");
    assert_eq!(nodegroup, &customer.cluster.nodegroup);
    assert_eq!(region.as_deref(), Some("us-east-1"));
    assert_eq!(profile, &None);
    assert_eq!(config.kubernetes.namespace, namespace);
    assert!(config.kubernetes.context.is_some());
    assert_eq!(config.kubernetes.kubeconfig.as_deref(), Some(kubeconfig.as_path()));
    assert_eq!(config.helm.release, "kfuse");
    assert_eq!(
        config.helm.chart, None,
        "Helm's record does not say where the chart came from"
    );
    assert_eq!(
        config.values.as_ref().map(|v| v.file.as_path()),
        Some(Path::new("values.yaml"))
    );
    let git = config.git.as_ref().context("no git section")?;
    assert_eq!(
        (git.repo.as_path(), git.branch.as_deref(), git.remote.as_deref()),
        (Path::new("."), Some("main"), Some("origin"))
    );
    for found in [
        "chart kfuse 3.4.0, revision 1, deployed",
        &format!("eks.amazonaws.com/nodegroup={}", customer.cluster.nodegroup),
        "Still to fill in (1):",
        "helm.chart:",
        "Then check it: kfscale validate",
    ] {
        assert!(stdout.contains(found), "no {found:?} in:\n{stdout}");
    }

    // Never over an existing file; with --force, a new one.
    let before = std::fs::read_to_string(&written)?;
    let again = init(&[])?;
    ensure!(again.status.code() == Some(1), "init overwrote kfscale.yaml");
    assert_eq!(std::fs::read_to_string(&written)?, before);
    let forced = init(&["--force"])?;
    ensure!(forced.status.success(), "init --force failed: {:?}", text(&forced));
    assert!(
        std::fs::read_to_string(&written)?.contains("# values:"),
        "rewritten without --values"
    );
    ensure!(init(&["--force", "--values", "values.yaml"])?.status.success());

    // Filled in: the chart; Kafka through the rig's fake. The region and credentials now come from
    // an AWS profile instead of kfscale.yaml and the environment.
    let text_now = std::fs::read_to_string(&written)?;
    let chart_line = text_now
        .lines()
        .find(|l| l.trim_start().starts_with("# chart:"))
        .context("no chart line")?;
    let region_line = text_now
        .lines()
        .find(|l| l.trim_start().starts_with("region:"))
        .context("no region line")?;
    let filled = text_now
        .replace(
            chart_line,
            &format!(
                "  chart: \"{}\"\n  binary: {}\n  plain_http: true",
                customer.cluster.chart,
                customer.rig.get("KFSCALE_RIG_HELM")?
            ),
        )
        .replace(region_line, "    profile: rig-profile")
        + &customer.kafka.config_section();
    std::fs::write(&written, filled)?;
    let aws_config = scratch.join("aws-config");
    std::fs::write(&aws_config, "[profile rig-profile]\nregion = us-east-1\n")?;
    let aws_credentials = scratch.join("aws-credentials");
    std::fs::write(
        &aws_credentials,
        "[rig-profile]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )?;
    let with_profile = |args: &[&str]| {
        let mut command = kfscale_command(&customer.rig, args);
        command.current_dir(repo);
        for var in [
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
        ] {
            command.env_remove(var);
        }
        command
            .env("AWS_CONFIG_FILE", &aws_config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &aws_credentials)
            .output()
    };
    let validated = with_profile(&["validate"])?;
    let (stdout, stderr) = text(&validated);
    ensure!(validated.status.success(), "validate failed:\n{stderr}\n{stdout}");
    assert!(
        stdout.contains("aws         region us-east-1, profile rig-profile"),
        "{stdout}"
    );

    // The written kfscale.yaml has no pinot.url and the rig has no kubelet to port-forward to, so
    // the plan needs the operator's explicit way past the mandatory Pinot step.
    let planned = with_profile(&["plan", "--nodes", "4", "--skip-pinot"])?;
    let (stdout, stderr) = text(&planned);
    ensure!(
        planned.status.success(),
        "plan from the written kfscale.yaml failed:\n{stderr}\n{stdout}"
    );
    let header = format!(
        "EKS node group {} (cluster {}, us-east-1) from 3 to 4 nodes",
        customer.cluster.nodegroup, customer.cluster.id
    );
    assert!(stdout.contains(&header), "no {header:?} in:\n{stdout}");
    Ok(())
}
