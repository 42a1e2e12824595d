//! Grow the Kafka broker volumes. A StatefulSet's volume claim template is immutable, so each
//! existing claim is grown here and the StatefulSet object is removed without its pods
//! (`--cascade=orphan`); the Helm upgrade then creates it again with the new template and adopts
//! the running pods.
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::plan::{Growth, grow_only};
use crate::values::quantity::parse_bytes;
use kfscale_kube::ClaimTemplate;

/// The broker StatefulSet deleted with its pods kept (orphan propagation), for helm to re-create.
const ORPHANED_STATEFULSET: HandleKey<String> = HandleKey::new("orphaned_statefulset");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let volumes = ctx.plan.kafka.volumes.clone();
    let Some(target) = volumes.first().map(|v| v.to.clone()) else {
        return Ok(Outcome::Skipped("no broker volume grows".into()));
    };
    let target_bytes = parse_bytes(&target).map_err(StepError::failed)?;
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

    let statefulset = ctx.plan.profile.kafka.broker_workload.clone();
    let template = ctx.plan.profile.kafka.volume_claim_template.clone();
    // Only a set still carrying the old template is deleted: one already deleted (by this apply
    // before it was killed, or by a delete whose answer was lost) is being collected, and one that
    // helm re-created has the new template. Either way no second delete is sent.
    let found = kube.statefulset_claim_template(&statefulset, &template).await?;
    let template_outdated = match &found {
        ClaimTemplate::Present { size } => size
            .as_deref()
            .and_then(|size| parse_bytes(size).ok())
            .is_some_and(|b| b < target_bytes),
        ClaimTemplate::Absent | ClaimTemplate::Deleting => false,
    };
    if template_outdated {
        ctx.record_handle(&ORPHANED_STATEFULSET, &statefulset)?;
        kube.delete_statefulset_keep_pods(&statefulset).await?;
        ctx.info(&format!(
            "removed StatefulSet {statefulset} (pods kept) so the upgrade can recreate it with {target} volumes"
        ));
    }
    if template_outdated || found == ClaimTemplate::Deleting {
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
    }
    let removed = template_outdated || ctx.handle(&ORPHANED_STATEFULSET).is_some();
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
