//! Secrets in other programs' words (#14 item 7): helm's stderr quotes a secret of the values file
//! and reaches the user inside kfscale's errors. The scrubber takes it out of everything kfscale
//! prints or stores: plan and apply output, `-vvv` logs, JSON events, the state directory and
//! `status`. Real helm on the rig, two ways:
//! - the chart refuses to render and quotes the value (the test chart's `rigChartChecks`, as real
//!   charts do with `fail`): the Helm pre-flight (`helm upgrade --dry-run=server`) fails, in
//!   `plan` and before `apply` changes anything;
//! - the API server refuses helm's write with a message quoting the value (an admission webhook
//!   that names the weak password), through the fault proxy: the real `helm upgrade` fails in the
//!   `helm_upgrade` step and its error is saved in the state.
use anyhow::{Context, Result, ensure};

use crate::common::customer::{Customer, CustomerSpec, commit_all, customer_cluster, files_under, run_git, step, text};
use crate::common::customer_proxies::customer_through_kube_proxy_with;
use crate::common::faults::LiveApply;

/// Every place kfscale keeps something, with the text it holds.
fn state_dir_texts(customer: &Customer) -> Result<Vec<(String, String)>> {
    let dir = customer.repo.join(".kfscale");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    files_under(&dir)?
        .into_iter()
        .map(|path| {
            let text = String::from_utf8_lossy(&std::fs::read(&path)?).into_owned();
            Ok((path.display().to_string(), text))
        })
        .collect()
}

/// `what` for each of `texts` that shows `secret`.
fn leaks<'a>(secret: &str, texts: impl IntoIterator<Item = (String, &'a str)>) -> Vec<String> {
    texts
        .into_iter()
        .filter(|(_, text)| text.contains(secret))
        .map(|(what, _)| format!("{what} shows the secret"))
        .collect()
}

const ECHOED: &str = "Echo-DbPw-73-chart-secret";

#[tokio::test(flavor = "multi_thread")]
async fn a_chart_error_quoting_a_secret_is_scrubbed_from_plan_and_apply() -> Result<()> {
    let values = format!("rigChartChecks:\n  refuseDbPassword: false\n  dbPassword: \"{ECHOED}\"\n");
    let customer = customer_cluster(CustomerSpec {
        values_extra: &values,
        ..CustomerSpec::single_az("helm-echo")
    })
    .await?;
    // The chart now refuses the file, quoting the password: committed, as an operator would.
    let path = customer.repo.join("values.yaml");
    let file = std::fs::read_to_string(&path)?;
    std::fs::write(&path, file.replace("refuseDbPassword: false", "refuseDbPassword: true"))?;
    commit_all(&customer.repo, "refuse the password")?;
    run_git(&customer.repo, &["push", "-q", "origin", "main"])?;
    let config = customer.config_arg()?;

    let plan = customer.kfscale(&["plan", "-vvv", "--config", config, "--nodes", "4"]);
    let (plan_out, plan_err) = text(&plan);
    ensure!(
        plan.status.code() == Some(1),
        "plan: {}\n{plan_out}\n{plan_err}",
        plan.status
    );
    let line = plan_out
        .lines()
        .find(|line| line.contains("helm-preflight"))
        .with_context(|| format!("no helm-preflight pre-check:\n{plan_out}"))?;
    // helm's own words are there, the password is not.
    ensure!(
        line.contains("too weak for this chart") && line.contains("(sensitive)"),
        "{line}"
    );

    let apply = customer.kfscale(&["apply", "-vvv", "--config", config, "--nodes", "4", "--auto-approve"]);
    let (apply_out, apply_err) = text(&apply);
    ensure!(
        apply.status.code() == Some(1),
        "apply: {}\n{apply_out}\n{apply_err}",
        apply.status
    );
    ensure!(
        apply_err.contains("too weak for this chart") && apply_err.contains("(sensitive)"),
        "apply does not show helm's refusal:\n{apply_err}"
    );

    let kept = state_dir_texts(&customer)?;
    let mut found = leaks(
        ECHOED,
        [
            ("plan's stdout".to_string(), plan_out.as_str()),
            ("plan's -vvv stderr".to_string(), plan_err.as_str()),
            ("apply's stdout".to_string(), apply_out.as_str()),
            ("apply's -vvv stderr".to_string(), apply_err.as_str()),
        ],
    );
    found.extend(leaks(
        ECHOED,
        kept.iter().map(|(path, text)| (path.clone(), text.as_str())),
    ));
    ensure!(found.is_empty(), "the secret leaked:\n{}", found.join("\n"));
    // The customer's file keeps it: it is theirs.
    ensure!(std::fs::read_to_string(&path)?.contains(ECHOED));
    Ok(())
}

const DENIED: &str = "Denied-AdminPw-88-webhook-secret";

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_helm_upgrade_quoting_a_secret_is_scrubbed_from_events_logs_and_state() -> Result<()> {
    let values = format!("rigAdmission:\n  adminPassword: \"{DENIED}\"\n");
    let (customer, proxy) = customer_through_kube_proxy_with(CustomerSpec {
        values_extra: &values,
        ..CustomerSpec::single_az("helm-denied")
    })
    .await?;
    // An admission webhook refuses the release write and names the value it refused.
    let refusal = format!(
        "admission webhook \"values.acme.io\" denied the request: rigAdmission.adminPassword \"{DENIED}\" is on the breached-password list"
    );
    let ended = LiveApply::arming_at(&customer, 4, "helm_upgrade", || {
        proxy.fail("POST secrets", 403, "Forbidden", &refusal, None)
    })
    .await?;
    ensure!(
        ended.status.code() == Some(1),
        "apply: {}\n{}",
        ended.status,
        ended.stderr
    );
    let state = customer.state()?;
    let record = step(&state, "helm_upgrade").context("no helm_upgrade step")?;
    let message = record["message"].as_str().unwrap_or_default();
    // The path was taken: helm's refusal is in the state, the password is not.
    ensure!(
        record["status"] == "failed" && message.contains("breached-password list") && message.contains("(sensitive)"),
        "helm_upgrade: {record}"
    );
    ensure!(
        ended.stderr.contains("breached-password list"),
        "stderr does not show helm's refusal:\n{}",
        ended.stderr
    );

    let events = ended
        .events
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let status = customer.kfscale(&["status", "--config", customer.config_arg()?, "--json"]);
    let (status_out, status_err) = text(&status);
    let kept = state_dir_texts(&customer)?;
    let mut found = leaks(
        DENIED,
        [
            ("apply's stderr".to_string(), ended.stderr.as_str()),
            ("apply's JSON events".to_string(), events.as_str()),
            ("status".to_string(), status_out.as_str()),
            ("status's stderr".to_string(), status_err.as_str()),
        ],
    );
    found.extend(leaks(
        DENIED,
        kept.iter().map(|(path, text)| (path.clone(), text.as_str())),
    ));
    ensure!(found.is_empty(), "the secret leaked:\n{}", found.join("\n"));
    ensure!(!kept.is_empty(), "no state written");
    Ok(())
}
