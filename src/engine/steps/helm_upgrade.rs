//! `helm upgrade` pinned to the installed chart version, without `--wait` (the rollout step waits),
//! so a killed apply leaves the release `pending-upgrade` for seconds, not for a rollout. A release
//! left `pending-upgrade` by an upgrade this apply started is rolled back to the revision recorded
//! before it, then upgraded again (when broker volumes grow, the broker StatefulSet is removed
//! with its pods kept around the rollback: its volume template is immutable).
use std::time::Duration;

use kfscale_helm::Upgrade;
use kfscale_kube::HelmReleaseRecord;

use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::plan::grow_only;

/// The release revision before the upgrade: a higher one means helm got as far as writing it.
const REVISION_BEFORE: HandleKey<u32> = HandleKey::new("revision_before");
/// Set just before helm runs.
const STARTED: HandleKey<bool> = HandleKey::new("started");

/// How long a helm left running by a killed apply gets to finish before kfscale rolls back.
const HELM_SETTLE: Duration = Duration::from_secs(5);

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let kube = &ctx.systems.kube;
    let release = ctx.systems.helm_release.clone();
    let version = ctx.plan.release.chart_version.clone();
    let mut record = read(ctx, &release).await?;
    let before: u32 = match ctx.handle(&REVISION_BEFORE) {
        Some(revision) => revision,
        None => {
            ctx.record_handle(&REVISION_BEFORE, &record.revision)?;
            record.revision
        }
    };
    let started: bool = ctx.handle(&STARTED).unwrap_or(false);
    if record.status.starts_with("pending") {
        if !(started && record.revision > before) {
            return Err(StepError::failed(format!(
                "release {release} is `{}` at revision {} and this apply did not start it; fix: wait for the other operation, or `helm rollback {release} {}`",
                record.status, record.revision, before
            )));
        }
        record = settle_or_roll_back(ctx, &release, before).await?;
    }
    if record.status == "deployed" && record.chart_version == version && runs_the_file(ctx, &record.user_values)? {
        let summary = format!(
            "release {release} revision {} runs this values file at chart {version}",
            record.revision
        );
        return Ok(if started {
            Outcome::Done(summary)
        } else {
            Outcome::Skipped(summary)
        });
    }
    refuse_fewer_replicas(ctx).await?;
    ctx.record_handle(&STARTED, &true)?;
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
    ctx.run_external(|| ctx.systems.helm.upgrade(&upgrade))?;
    let previous = record.revision;
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
                    record.filter(|r| r.revision > previous && r.status == "deployed"),
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

async fn read(ctx: &StepContext<'_>, release: &str) -> Result<HelmReleaseRecord, StepError> {
    let record = ctx.systems.kube.helm_release(release).await?.ok_or_else(|| {
        StepError::failed(format!(
            "release {release} not found; fix: check helm.release in kfscale.yaml"
        ))
    })?;
    // The release's values may hold secrets the file no longer does (a rotated password).
    crate::scrub::register_json_values(&record.user_values);
    Ok(record)
}

/// A release left pending by this apply's own helm (killed with it, or still finishing as an
/// orphan): give a live helm time to finish, then roll back to the revision before the apply so
/// the upgrade can run again. Rollback works from any pending state; upgrade does not.
async fn settle_or_roll_back(
    ctx: &mut StepContext<'_>,
    release: &str,
    before: u32,
) -> Result<HelmReleaseRecord, StepError> {
    let kube = &ctx.systems.kube;
    let settled = ctx
        .wait_for(
            &format!("release {release} to leave its pending state"),
            HELM_SETTLE,
            || async {
                let record = kube.helm_release(release).await?;
                let progress = record
                    .as_ref()
                    .map_or("no record".into(), |r| format!("revision {} {}", r.revision, r.status));
                Ok((record.filter(|r| !r.status.starts_with("pending")), progress))
            },
        )
        .await;
    match settled {
        Ok(record) => return Ok(record),
        Err(StepError::Interrupted) => return Err(StepError::Interrupted),
        // Still pending: no helm is going to finish it.
        Err(_) => {}
    }
    let record = read(ctx, release).await?;
    let revisions = kube.helm_revisions(release).await?;
    let target = rollback_target(&revisions, before, record.revision).ok_or_else(|| {
        StepError::failed(format!(
            "release {release} is `{}` at revision {} and no earlier revision is left to roll back to (revisions {}); fix: `helm history {release}`, repair the release by hand, then re-run `kfscale apply`",
            record.status,
            record.revision,
            revisions.iter().map(|(revision, status)| format!("{revision} {status}")).collect::<Vec<_>>().join(", ")
        ))
    })?;
    ctx.info(&format!(
        "release {release} was left `{}` at revision {} by this apply's interrupted helm: rolling back to revision {target}",
        record.status, record.revision
    ));
    // A grown broker volume template is immutable both ways: the rollback must create the set
    // with the old template (not shrink the new one), and the upgrade after it with the new one.
    let planned = super::broker_volumes::planned_size(ctx)?;
    if let Some((_, bytes)) = &planned {
        super::broker_volumes::make_way_for_helm(ctx, "the earlier", |template| template >= *bytes).await?;
    }
    ctx.run_external(|| ctx.systems.helm.rollback(release, target, ctx.settings.helm_timeout))?;
    if let Some((size, bytes)) = &planned {
        super::broker_volumes::make_way_for_helm(ctx, size, |template| template < *bytes).await?;
    }
    read(ctx, release).await
}

/// The revision to roll a pending release back to: the one recorded before the apply when Helm
/// still holds it, else the newest earlier revision that ran (`deployed` or `superseded`; Helm's
/// `--history-max` may have pruned the recorded one). None when nothing earlier ran.
fn rollback_target(revisions: &[(u32, String)], before: u32, pending: u32) -> Option<u32> {
    let ran = |status: &str| status == "deployed" || status == "superseded";
    let earlier = || revisions.iter().filter(|(revision, _)| *revision < pending);
    if earlier().any(|(revision, status)| *revision == before && ran(status)) {
        return Some(before);
    }
    earlier()
        .filter(|(_, status)| ran(status))
        .map(|(revision, _)| *revision)
        .max()
}

/// Whether the release's user values are the values file's, compared as data (Helm stores them as
/// JSON, so formatting, comments and number spelling do not count).
fn runs_the_file(ctx: &StepContext<'_>, user_values: &serde_json::Value) -> Result<bool, StepError> {
    let path = &ctx.systems.values_path;
    let text = crate::files::read_values_text(path).map_err(|err| StepError::failed(format!("{err:#}")))?;
    let document = crate::values::Document::parse(&path.display().to_string(), &text)?;
    let mut differences = Vec::new();
    crate::values::json::diff_json(
        &crate::values::ValuePath::default(),
        &crate::values::json::to_json(&document),
        user_values,
        &mut differences,
    );
    Ok(differences.is_empty())
}

/// The upgrade sets every scaled workload's replicas to the plan's: a workload someone scaled
/// past that after the plan would be scaled down, so the upgrade is refused instead. Counts only:
/// no pod list.
async fn refuse_fewer_replicas(ctx: &StepContext<'_>) -> Result<(), StepError> {
    let live = ctx.systems.kube.workload_counts().await?;
    for (name, count) in &ctx.plan.values.workloads {
        if let Some(workload) = live.iter().find(|w| &w.name == name) {
            grow_only(
                format!("{:?} {name} replicas", workload.kind),
                u64::from(workload.replicas),
                count.after,
            )?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn history(revisions: &[(u32, &str)]) -> Vec<(u32, String)> {
        revisions
            .iter()
            .map(|(revision, status)| (*revision, status.to_string()))
            .collect()
    }

    #[test]
    fn a_pending_release_rolls_back_to_the_recorded_revision_while_helm_holds_it() {
        let revisions = history(&[(1, "superseded"), (2, "deployed"), (3, "pending-upgrade")]);
        assert_eq!(rollback_target(&revisions, 2, 3), Some(2));
        assert_eq!(rollback_target(&revisions, 1, 3), Some(1));
    }

    #[test]
    fn a_pruned_or_failed_recorded_revision_gives_way_to_the_newest_that_ran() {
        // --history-max pruned revision 4, the one recorded before the apply.
        let pruned = history(&[(5, "superseded"), (6, "deployed"), (7, "pending-upgrade")]);
        assert_eq!(rollback_target(&pruned, 4, 7), Some(6));
        let failed = history(&[(1, "deployed"), (2, "failed"), (3, "pending-upgrade")]);
        assert_eq!(rollback_target(&failed, 2, 3), Some(1));
    }

    #[test]
    fn nothing_earlier_that_ran_means_no_rollback() {
        assert_eq!(rollback_target(&history(&[(1, "pending-install")]), 1, 1), None);
        assert_eq!(
            rollback_target(&history(&[(1, "failed"), (2, "pending-upgrade")]), 1, 2),
            None
        );
    }
}
