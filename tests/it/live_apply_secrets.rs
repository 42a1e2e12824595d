//! Secrets on the rig: the customer's values file carries passwords, tokens, keys, a certificate
//! and a database URL with a password, under common key names (and the URL and the certificate
//! under harmless ones). None of them may appear in plan output, the plan file, a snapshot, the
//! apply's output and `-vvv` logs, the JSON event stream, `status`, the state, history, progress
//! or lock files, or the commit message; the values file itself is committed as it is (it is the
//! customer's file). Env-style pairs, a JAAS line and a Slack webhook are found by the detector's
//! rules, not by a parent key's name; a Secret's name (`secretName`) stays visible.
use anyhow::{Context, Result, ensure};

use crate::common::customer::{CustomerSpec, customer_cluster, files_under, git_output, text};

/// Appended to the values file; each secret is unique text the test can search for.
const SECRETS_YAML: &str = "\
kfuse-secrets:
  adminPassword: \"S3cr3t-hunter2-PASSWORD\"
  apiToken: tok-ABCDEF123456-TOKEN
  aws_secret_access_key: AKIASECRETVALUE0000KEY
  licenseKey: LIC-9f9f9f-LICENSE
  credentials:
    user: opsuser-CREDENTIAL-USER
  tls:
    crt: |
      -----BEGIN CERTIFICATE-----
      MIIBCERTIFICATEBODYxyz0123
      -----END CERTIFICATE-----
  database:
    url: \"postgres://kfuse:DbPassw0rd-URL@db:5432/kfuse\"
kfuse-extras:
  env:
    - name: DB_PASSWORD
      value: EnvPair-DBPW-value
  kafkaClient:
    sasl.jaas.config: org.apache.kafka.common.security.plain.PlainLoginModule required username=\"kfuse\" password=\"JaasLine-SASL-pw\";
  alerting:
    api_url: https://hooks.slack.com/services/T0RIG/B0RIG/SlackRigWebhookTail
  tls:
    secretName: rig-visible-tls-secret-name
";
/// Under `kfuse-secrets:` every value is hidden by its parent's name; under `kfuse-extras:` only
/// the detector's env-pair, JAAS and webhook rules find the last three.
const SECRETS: [&str; 10] = [
    "S3cr3t-hunter2",
    "tok-ABCDEF123456",
    "AKIASECRETVALUE0000",
    "LIC-9f9f9f",
    "opsuser-CREDENTIAL",
    "MIIBCERTIFICATEBODY",
    "DbPassw0rd-URL",
    "EnvPair-DBPW-value",
    "JaasLine-SASL-pw",
    "SlackRigWebhookTail",
];
/// A reference name: it names a Secret and must stay readable in the snapshot.
const VISIBLE: &str = "rig-visible-tls-secret-name";

fn leaks(what: &str, text: &str) -> Vec<String> {
    SECRETS
        .iter()
        .filter(|secret| text.contains(*secret))
        .map(|secret| format!("{what} shows {secret}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_of_the_values_file_leaves_it() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        prefix: "secrets",
        values_extra: SECRETS_YAML,
        ..CustomerSpec::default()
    })
    .await?;
    let config = customer.config_arg()?;
    let scratch = customer.config.parent().context("scratch")?.to_path_buf();
    let plan_file = scratch.join("scale.plan");
    let snapshot_file = scratch.join("snapshot.json");
    let mut found = Vec::new();

    let plan = customer.kfscale(&[
        "plan",
        "-vvv",
        "--config",
        config,
        "--nodes",
        "12",
        "--out",
        plan_file.to_str().context("path")?,
    ]);
    let (stdout, stderr) = text(&plan);
    ensure!(plan.status.success(), "plan failed: {stderr}");
    found.extend(leaks("plan output", &(stdout + &stderr)));
    found.extend(leaks("the plan file", &std::fs::read_to_string(&plan_file)?));

    let snapshot = customer.kfscale(&[
        "snapshot",
        "--config",
        config,
        "--output",
        snapshot_file.to_str().context("path")?,
    ]);
    let (stdout, stderr) = text(&snapshot);
    ensure!(snapshot.status.success(), "snapshot failed: {stderr}");
    found.extend(leaks("snapshot output", &(stdout + &stderr)));
    let snapshot_text = std::fs::read_to_string(&snapshot_file)?;
    found.extend(leaks("the snapshot file", &snapshot_text));
    ensure!(
        snapshot_text.contains(VISIBLE),
        "the snapshot hides the Secret's name {VISIBLE}"
    );

    let apply = customer.kfscale(&[
        "apply",
        plan_file.to_str().context("path")?,
        "-vvv",
        "--json",
        "--config",
        config,
    ]);
    let (stdout, stderr) = text(&apply);
    ensure!(apply.status.success(), "apply failed:\n{stderr}\n{stdout}");
    ensure!(stderr.lines().count() > 10, "-vvv logged next to nothing:\n{stderr}");
    found.extend(leaks("apply's JSON events", &stdout));
    found.extend(leaks("apply's -vvv log", &stderr));

    for args in [
        vec!["status", "--config", config],
        vec!["status", "--config", config, "--json"],
    ] {
        let status = customer.kfscale(&args);
        let (stdout, stderr) = text(&status);
        found.extend(leaks("status", &(stdout + &stderr)));
    }

    // Everything kfscale keeps in its state directory.
    let state_dir = customer.repo.join(".kfscale");
    let files = files_under(&state_dir)?;
    for path in &files {
        found.extend(leaks(
            &path.display().to_string(),
            &String::from_utf8_lossy(&std::fs::read(path)?),
        ));
    }
    ensure!(files.len() >= 2, "no state or history in {}", state_dir.display());

    // The record: the commit message is kfscale's, the values file is the customer's, as it is.
    let message = git_output(&customer.remote, &["log", "-1", "--format=%B", "main"])?;
    ensure!(message.contains("from 6 to 12 nodes"), "{message}");
    found.extend(leaks("the commit message", &message));
    let committed = git_output(&customer.remote, &["show", "main:values.yaml"])?;
    for secret in SECRETS {
        ensure!(committed.contains(secret), "the committed values file lost {secret}");
    }

    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
    Ok(())
}
