//! Nothing irreversible before the upgrade is known to work (#14): before its first change, every
//! apply pulls the chart at the pinned version and runs `helm upgrade --dry-run=server` with the
//! planned values; a live `plan` shows the same check as the `helm-preflight` pre-check. Each test
//! breaks the Helm step of a single-AZ customer grown 3 -> 4 and checks on the systems themselves
//! that nothing changed: the EKS node group's size in moto, the release's revisions, the
//! StatefulSets (uid and generation), the values file.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, step, text};
use crate::common::leftovers::helm_revisions;

/// What an apply could have changed, read from the systems.
#[derive(Debug, PartialEq)]
struct Untouched {
    desired_size: Option<i32>,
    helm_revisions: usize,
    /// name -> (uid, generation): a re-created StatefulSet or a changed spec shows here (status
    /// updates by the controllers do not).
    statefulsets: BTreeMap<String, (String, i64)>,
    values_file: String,
}

async fn untouched(customer: &Customer) -> Result<Untouched> {
    let client = customer.rig.kube_client().await?;
    let statefulsets: kube::Api<StatefulSet> = kube::Api::namespaced(client, &customer.cluster.id);
    let statefulsets = statefulsets
        .list(&Default::default())
        .await?
        .items
        .into_iter()
        .map(|s| {
            let meta = s.metadata;
            (
                meta.name.unwrap_or_default(),
                (meta.uid.unwrap_or_default(), meta.generation.unwrap_or_default()),
            )
        })
        .collect();
    Ok(Untouched {
        desired_size: customer.eks_desired_size().await?,
        helm_revisions: helm_revisions(customer).await?,
        statefulsets,
        values_file: std::fs::read_to_string(customer.repo.join("values.yaml"))?,
    })
}

/// Points kfscale.yaml's `helm.chart` at `chart`.
fn use_chart(customer: &mut Customer, chart: &str) -> Result<()> {
    let installed = customer.cluster.chart.clone();
    customer.edit_config(&format!("chart: \"{installed}\""), &format!("chart: \"{chart}\""))
}

/// `kfscale plan --nodes 4` fails with the `helm-preflight` pre-check naming `naming`.
fn assert_plan_shows_the_failing_preflight(customer: &Customer, naming: &str) -> Result<()> {
    let plan = customer.kfscale(&["plan", "--config", customer.config_arg()?, "--nodes", "4"]);
    let (stdout, stderr) = text(&plan);
    ensure!(
        plan.status.code() == Some(1),
        "plan: {}\n{stdout}\n{stderr}",
        plan.status
    );
    let line = stdout
        .lines()
        .find(|line| line.contains("helm-preflight"))
        .with_context(|| format!("no helm-preflight pre-check:\n{stdout}"))?;
    ensure!(line.contains("✗ FAIL") && line.contains(naming), "{line}");
    Ok(())
}

/// `kfscale apply --nodes 4` is refused, exit 1, saying why, that nothing changed, and how to fix it.
fn assert_apply_refused(customer: &Customer, naming: &str, nothing: &str) -> Result<String> {
    let apply = customer.apply(4)?;
    let (stdout, stderr) = text(&apply);
    ensure!(
        apply.status.code() == Some(1),
        "apply: {}\n{stdout}\n{stderr}",
        apply.status
    );
    for expected in ["the Helm pre-flight failed", nothing, naming, "fix:"] {
        ensure!(stderr.contains(expected), "no {expected:?} in:\n{stderr}");
    }
    Ok(stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chart_that_cannot_be_pulled_stops_the_apply_before_anything_changes() -> Result<()> {
    let mut customer = customer_cluster(CustomerSpec::single_az("preflight-pull")).await?;
    // The registry has no chart here: a wrong path, or one the operator's login may not read.
    let missing = customer.cluster.chart.replace("/kfuse-helm/", "/kfuse-helm-moved/");
    use_chart(&mut customer, &missing)?;
    let before = untouched(&customer).await?;

    assert_plan_shows_the_failing_preflight(&customer, "cannot be pulled")?;
    assert_apply_refused(
        &customer,
        "cannot be pulled",
        "before changing anything (nothing was changed)",
    )?;

    assert_eq!(untouched(&customer).await?, before);
    ensure!(
        !customer.repo.join(".kfscale/state.json").exists() || customer.state()?["run"].is_null(),
        "a refused apply started a run"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_the_api_server_refuses_stops_the_apply_before_anything_changes() -> Result<()> {
    let mut customer = customer_cluster(CustomerSpec::single_az("preflight-refused")).await?;
    // The registry's chart at the installed version is not the one installed: it was rebuilt for
    // a newer Kubernetes and renders policy/v1, which this API server (1.20) does not serve.
    let rebuilt = push_chart_with_template(&customer, "preflight-refused", UNSERVED_API_VERSION).await?;
    use_chart(&mut customer, &rebuilt)?;
    let before = untouched(&customer).await?;

    assert_plan_shows_the_failing_preflight(&customer, "no matches for kind")?;
    assert_apply_refused(
        &customer,
        "no matches for kind",
        "before changing anything (nothing was changed)",
    )?;

    assert_eq!(untouched(&customer).await?, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_apply_that_has_not_upgraded_yet_runs_the_preflight_before_continuing() -> Result<()> {
    let mut customer = customer_cluster(CustomerSpec::single_az("preflight-resume")).await?;
    // The first apply grows the pool and is stopped (SIGINT) at the safe point after that step.
    stop_after_node_pool(&customer)?;
    let state = customer.state()?;
    let upgrade = step(&state, "helm_upgrade").context("no helm_upgrade step")?;
    ensure!(upgrade["status"] == "pending", "the stop came too late: {upgrade}");
    ensure!(customer.eks_desired_size().await? == Some(4));

    // Meanwhile the chart became unpullable: the resume refuses before its next step.
    let missing = customer.cluster.chart.replace("/kfuse-helm/", "/kfuse-helm-moved/");
    use_chart(&mut customer, &missing)?;
    let before = untouched(&customer).await?;
    let apply = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
    let (stdout, stderr) = text(&apply);
    ensure!(
        apply.status.code() == Some(1),
        "resume: {}\n{stdout}\n{stderr}",
        apply.status
    );
    for expected in [
        "the Helm pre-flight failed",
        "(nothing more was changed)",
        "cannot be pulled",
    ] {
        ensure!(stderr.contains(expected), "no {expected:?} in:\n{stderr}");
    }
    assert_eq!(untouched(&customer).await?, before);
    let state = customer.state()?;
    ensure!(step(&state, "helm_upgrade").is_some_and(|s| s["status"] == "pending"));

    // The chart is back: the same apply resumes and finishes.
    let installed = customer.cluster.chart.clone();
    customer.edit_config(&missing, &installed)?;
    let resumed = customer.kfscale(&["apply", "--config", customer.config_arg()?]);
    let (stdout, stderr) = text(&resumed);
    ensure!(
        resumed.status.success(),
        "resume: {}\n{stdout}\n{stderr}",
        resumed.status
    );
    ensure!(untouched(&customer).await?.helm_revisions == 2);
    Ok(())
}

/// Runs `apply --nodes 4 --json` and sends SIGINT when the node_pool step finishes; the apply
/// stops at the next safe point (exit 130).
fn stop_after_node_pool(customer: &Customer) -> Result<()> {
    let (mut child, events) = customer.spawn_json(&customer.apply_args("4")?, "stopped.log")?;
    loop {
        let event = events
            .recv_timeout(std::time::Duration::from_secs(300))
            .context("no node_pool step_finished event")?;
        if event["event"] == "step_finished" && event["step"] == "node_pool" {
            break;
        }
    }
    // SAFETY: kill has no memory effects; the child is ours and not yet reaped.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    ensure!(sent == 0, "kill failed");
    let status = child.wait()?;
    ensure!(status.code() == Some(130), "the stopped apply ended {status}");
    Ok(())
}

/// A template for a newer Kubernetes: policy/v1 PodDisruptionBudget (served from 1.21 on).
const UNSERVED_API_VERSION: &str = "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: kfuse-preflight-newer-api
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
";

/// The test chart at the installed version with `template` added, pushed to a repository of its
/// own in the rig's registry; returns its reference.
async fn push_chart_with_template(customer: &Customer, name: &str, template: &str) -> Result<String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/charts/kfuse-mini");
    let scratch = customer.config.with_file_name("rebuilt-chart");
    let chart = scratch.join("kfuse-mini");
    std::fs::create_dir_all(&scratch)?;
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(&source)
        .arg(&chart)
        .status()?;
    ensure!(copied.success(), "cp -r {}", source.display());
    std::fs::write(chart.join("templates/preflight-rebuilt.yaml"), template)?;
    let helm = kfscale_rig::helm::Helm::from_rig(&customer.rig)?;
    let version = customer.cluster.chart_version.clone();
    let out = scratch.to_str().context("path")?;
    helm.run(&[
        "package",
        chart.to_str().context("path")?,
        "--version",
        &version,
        "--app-version",
        &version,
        "-d",
        out,
    ])
    .await?;
    let repository = format!(
        "oci://{}/{}-helm",
        customer.rig.get("KFSCALE_RIG_REGISTRY")?,
        kfscale_rig::names::unique(name)
    );
    let archive = scratch.join(format!("kfuse-{version}.tgz"));
    helm.run(&["push", archive.to_str().context("path")?, &repository, "--plain-http"])
        .await?;
    Ok(format!("{repository}/kfuse"))
}
