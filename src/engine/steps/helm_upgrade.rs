//! `helm upgrade` pinned to the installed chart version, without `--wait` (the rollout step waits),
//! so a killed apply leaves the release `pending-upgrade` for seconds, not for a rollout. A release
//! left `pending-upgrade` by an upgrade this apply started is rolled back to the revision recorded
//! before it, then upgraded again.
use std::time::Duration;

use kfscale_helm::Upgrade;

use crate::engine::context::{Outcome, StepContext, StepError};

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let kube = &ctx.systems.kube;
    let release = ctx.systems.helm_release.clone();
    let version = ctx.plan.release.chart_version.clone();
    let record = kube.helm_release(&release).await?.ok_or_else(|| {
        StepError::failed(format!(
            "release {release} not found; fix: check helm.release in kfscale.yaml"
        ))
    })?;
    let before: u32 = match ctx.handle("revision_before") {
        Some(revision) => revision,
        None => {
            ctx.record_handle("revision_before", &record.revision)?;
            record.revision
        }
    };
    if record.revision > before && record.status == "deployed" {
        ensure_version(&record.chart_version, &version)?;
        return Ok(Outcome::Skipped(format!(
            "release {release} already at revision {} (deployed)",
            record.revision
        )));
    }
    if record.status == "deployed" && record.chart_version == version && runs_the_file(ctx, &record.user_values)? {
        return Ok(Outcome::Skipped(format!(
            "release {release} revision {} already runs this values file at chart {version}",
            record.revision
        )));
    }
    if record.status.starts_with("pending") {
        let started: bool = ctx.handle("started").unwrap_or(false);
        if !(started && record.revision == before + 1) {
            return Err(StepError::failed(format!(
                "release {release} is `{}` at revision {} and this apply did not start it; fix: wait for the other operation, or `helm rollback {release} {}`",
                record.status, record.revision, before
            )));
        }
        ctx.info(&format!(
            "release {release} was left `{}` by the interrupted upgrade: rolling back to revision {before}",
            record.status
        ));
        ctx.systems.helm.rollback(&release, before, ctx.settings.helm_timeout)?;
        ctx.record_handle("revision_before", &(before + 1))?;
        return Box::pin(run(ctx)).await;
    }
    ctx.record_handle("started", &true)?;
    let upgrade = Upgrade {
        release: &release,
        chart: &ctx.systems.helm_chart,
        version: &version,
        values_file: &ctx.systems.values_path,
        timeout: ctx.settings.helm_timeout,
        wait: false,
        plain_http: ctx.systems.helm_plain_http,
    };
    ctx.info(&format!("helm {}", ctx.systems.helm.upgrade_args(&upgrade).join(" ")));
    ctx.systems.helm.upgrade(&upgrade)?;
    let after = ctx
        .wait_for(
            &format!("release {release} to be deployed"),
            Duration::from_secs(120),
            || async {
                let record = kube.helm_release(&release).await?;
                let progress = record
                    .as_ref()
                    .map_or("no record".into(), |r| format!("revision {} {}", r.revision, r.status));
                Ok((
                    record.filter(|r| r.revision > before && r.status == "deployed"),
                    progress,
                ))
            },
        )
        .await?;
    ensure_version(&after.chart_version, &version)?;
    ctx.observe("revision", &after.revision);
    Ok(Outcome::Done(format!(
        "release {release} revision {} deployed at chart {version}",
        after.revision
    )))
}

/// Whether the release's user values are the values file's, compared as data (Helm stores them as
/// JSON, so formatting, comments and number spelling do not count).
fn runs_the_file(ctx: &StepContext<'_>, user_values: &serde_json::Value) -> Result<bool, StepError> {
    let path = &ctx.systems.values_path;
    let text =
        std::fs::read_to_string(path).map_err(|err| StepError::failed(format!("reading {}: {err}", path.display())))?;
    let document = crate::values::Document::parse(&path.display().to_string(), &text)?;
    let mut differences = Vec::new();
    crate::plan::prechecks::values::diff_json(
        &crate::values::ValuePath::default(),
        &crate::values::json::to_json(&document),
        user_values,
        &mut differences,
    );
    Ok(differences.is_empty())
}

fn ensure_version(found: &str, planned: &str) -> Result<(), StepError> {
    if found == planned {
        Ok(())
    } else {
        Err(StepError::failed(format!(
            "the release runs chart {found}, the plan pinned {planned}; fix: find out who upgraded it, then plan again"
        )))
    }
}
