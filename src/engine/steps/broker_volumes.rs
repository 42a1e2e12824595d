//! Grow the Kafka broker volumes. A StatefulSet's volume claim template is immutable, so each
//! existing claim is grown here and the StatefulSet object is removed without its pods
//! (`--cascade=orphan`); the Helm upgrade then creates it again with the new template and adopts
//! the running pods. A resumed or retried run finds what was done: a claim already asking for the
//! size is not patched again, and the set is deleted only while it carries the old template
//! ([`make_way_for_helm`]).
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::plan::{Growth, grow_only};
use crate::values::quantity::parse_bytes;
use kfscale_kube::ClaimTemplate;

/// The broker StatefulSet deleted with its pods kept (orphan propagation), for helm to re-create.
const ORPHANED_STATEFULSET: HandleKey<String> = HandleKey::new("orphaned_statefulset");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let volumes = ctx.plan.kafka.volumes.clone();
    let Some((target, target_bytes)) = planned_size(ctx)? else {
        return Ok(Outcome::Skipped("no broker volume grows".into()));
    };
    let kube = &ctx.systems.kube;
    let claims = kube.pvcs().await?;
    let size_of = |name: &str| {
        claims
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.requested.as_deref())
            .and_then(|size| parse_bytes(size).ok())
    };
    let mut grown = Vec::new();
    for volume in &volumes {
        let Some(bytes) = size_of(&volume.claim) else { continue };
        if let Growth::Raise { .. } = grow_only(format!("volume {} (bytes)", volume.claim), bytes, target_bytes)? {
            kube.resize_claim(&volume.claim, &target).await?;
            grown.push(volume.claim.clone());
        }
    }
    ctx.observe("grown", &grown);

    let removed = make_way_for_helm(ctx, &target, |template| template < target_bytes).await?
        || ctx.handle(&ORPHANED_STATEFULSET).is_some();
    let names: Vec<String> = volumes.iter().map(|v| v.claim.clone()).collect();
    let capacity = ctx
        .wait_for(
            &format!("{} broker volumes to reach {target}", names.len()),
            ctx.settings.rollout_timeout,
            || async {
                let claims = kube.pvcs().await?;
                let small: Vec<&str> = names
                    .iter()
                    .filter(|name| {
                        claims
                            .iter()
                            .find(|c| &c.name == *name)
                            .and_then(|c| c.capacity.as_deref())
                            .and_then(|size| parse_bytes(size).ok())
                            .is_none_or(|bytes| bytes < target_bytes)
                    })
                    .map(String::as_str)
                    .collect();
                Ok((
                    small.is_empty().then_some(names.len()),
                    format!("{} of {} still smaller", small.len(), names.len()),
                ))
            },
        )
        .await?;
    if grown.is_empty() && !removed {
        return Ok(Outcome::Skipped(format!("{capacity} broker volumes already {target}")));
    }
    Ok(Outcome::Done(format!("{} claim(s) grown to {target}", grown.len())))
}

/// The planned broker volume size in bytes, when the plan grows the broker volumes.
pub fn planned_size(ctx: &StepContext<'_>) -> Result<Option<(String, u64)>, StepError> {
    let Some(target) = ctx.plan.kafka.volumes.first().map(|v| v.to.clone()) else {
        return Ok(None);
    };
    let bytes = parse_bytes(&target).map_err(StepError::failed)?;
    Ok(Some((target, bytes)))
}

/// Removes the broker StatefulSet with its pods kept (orphan propagation) when `blocks` says its
/// volume template (in bytes) would make the next helm run fail: the template is immutable, so
/// helm must create the set, not patch it. Every path that runs helm over a changed template comes
/// here: this step before the upgrade, and the upgrade step around a rollback of a release its
/// killed helm left pending. Only a set carrying a blocking template is deleted: one already
/// deleted (by an apply killed after its delete, or a delete whose answer was lost) is being
/// collected and is waited for, never deleted again, and one helm re-created with the new template
/// is left alone. True when a set was removed or waited out.
pub async fn make_way_for_helm(
    ctx: &mut StepContext<'_>,
    size: &str,
    blocks: impl Fn(u64) -> bool,
) -> Result<bool, StepError> {
    let kube = &ctx.systems.kube;
    let statefulset = ctx.plan.profile.kafka.broker_workload.clone();
    let template = ctx.plan.profile.kafka.volume_claim_template.clone();
    let found = kube.statefulset_claim_template(&statefulset, &template).await?;
    let blocking = match &found {
        ClaimTemplate::Present { size } => size
            .as_deref()
            .and_then(|size| parse_bytes(size).ok())
            .is_some_and(&blocks),
        ClaimTemplate::Absent | ClaimTemplate::Deleting => false,
    };
    if blocking {
        ctx.record_handle(&ORPHANED_STATEFULSET, &statefulset)?;
        kube.delete_statefulset_keep_pods(&statefulset).await?;
        ctx.info(&format!(
            "removed StatefulSet {statefulset} (pods kept) so that helm recreates it with {size} volumes"
        ));
    }
    if !blocking && found != ClaimTemplate::Deleting {
        return Ok(false);
    }
    // Helm must create the set, not patch one still being collected (that patch changes the
    // immutable template: Forbidden).
    ctx.wait_for(
        &format!("StatefulSet {statefulset} to be gone (its pods kept)"),
        ctx.settings.rollout_timeout,
        || async {
            let now = kube.statefulset_claim_template(&statefulset, &template).await?;
            Ok(((now == ClaimTemplate::Absent).then_some(()), format!("{now:?}")))
        },
    )
    .await?;
    Ok(true)
}
