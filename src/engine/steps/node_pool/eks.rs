//! Grow an EKS managed node group. The resize carries a client request token derived from the
//! plan, recorded before the call: a resumed apply polls the recorded update, or re-sends the same
//! token, which EKS treats as the same request. Done = the group is ACTIVE at the new size and that
//! many nodes of the pool are Ready in Kubernetes.
use crate::connect::NodePoolClient;
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::engine::report::progress::Progress as Report;
use crate::plan::{Growth, PoolSize, grow_only, never_below};

/// The token UpdateNodegroupConfig carries (derived from the plan): the same on every retry.
const REQUEST_TOKEN: HandleKey<String> = HandleKey::new("request_token");
/// The update EKS returned, followed until it ends.
const UPDATE_ID: HandleKey<String> = HandleKey::new("update_id");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let NodePoolClient::Eks {
        eks,
        cluster,
        nodegroup,
        ..
    } = &ctx.systems.node_pool
    else {
        return Err(StepError::failed(
            "the EKS node-pool step was given another cloud's pool",
        ));
    };
    let PoolSize::Eks {
        desired: total,
        min,
        max,
    } = ctx.plan.node_pool.after
    else {
        return Err(StepError::failed(format!(
            "the plan sizes another kind of pool than EKS node group {nodegroup}; fix: make a new plan with this kfscale.yaml (`kfscale plan`)"
        )));
    };
    let group = eks.describe(cluster, nodegroup).await?;
    let already_sent: Option<String> = ctx.handle(&UPDATE_ID);
    // A recorded token means this apply sent the resize, or was about to: when the group is at the
    // target already, the resize was carried out and its answer lost (or never needed), and the
    // step reports what it did rather than "skipped".
    let mut acted = already_sent.is_some() || ctx.handle::<String>(&REQUEST_TOKEN).is_some();
    let live = |size: i32| u64::try_from(size).unwrap_or(0);
    let growth = grow_only(
        format!("EKS node group {nodegroup} desired size"),
        live(group.desired_size),
        u64::from(total),
    )?;
    if matches!(growth, Growth::Raise { .. }) && already_sent.is_none() {
        let token: String = ctx.handle(&REQUEST_TOKEN).unwrap_or_else(|| request_token(ctx));
        ctx.record_handle(&REQUEST_TOKEN, &token)?;
        // The bounds go with the resize, never below what is live: a bound raised after the plan
        // stays raised.
        let min = never_below(live(group.min_size), u64::from(min));
        let max = never_below(live(group.max_size), u64::from(max.max(total)));
        let (min, max) = (size_of(min)?, size_of(max)?);
        ctx.info(&format!(
            "UpdateNodegroupConfig {nodegroup}: desired {} -> {}, max {max} (token {token})",
            group.desired_size, total
        ));
        let update = eks
            .resize(cluster, nodegroup, min, size_of(u64::from(total))?, max, &token)
            .await?;
        ctx.record_handle(&UPDATE_ID, &update.id)?;
        acted = true;
    }
    let (kube, want) = (&ctx.systems.kube, total);
    let selector = &ctx.systems.pool_selector;
    let what = format!("{want} Ready nodes of {nodegroup}");
    let (this, what) = (&*ctx, what.as_str());
    let ready = ctx
        .wait_for(what, ctx.settings.node_pool_timeout, || async move {
            let group = eks.describe(cluster, nodegroup).await?;
            let nodes = kube.nodes().await?;
            let ready = nodes.iter().filter(|n| super::takes_pods(selector, n)).count() as u32;
            let done = group.status == "ACTIVE" && group.desired_size as u32 == want && ready >= want;
            let text = format!(
                "group {} desired {}, {ready}/{want} nodes Ready",
                group.status, group.desired_size
            );
            this.report(Report::new(this.step.as_str(), what, &text).counted(
                f64::from(ready),
                f64::from(want),
                "nodes",
            ));
            Ok((done.then_some(ready), text))
        })
        .await?;
    ctx.observe("ready_nodes", &ready);
    let summary = format!("{nodegroup} has {ready} Ready nodes");
    Ok(if acted {
        Outcome::Done(summary)
    } else {
        Outcome::Skipped(summary)
    })
}

/// The same plan always gets the same token, whoever runs it and however often.
fn request_token(ctx: &StepContext<'_>) -> String {
    let digest = crate::snapshot::digest(&(ctx.plan, "node_pool"));
    format!("kfscale-{}", &digest[..32])
}

/// A size as EKS's API takes it (i32).
fn size_of(size: u64) -> Result<i32, StepError> {
    i32::try_from(size).map_err(|_| StepError::failed(format!("node group size {size} is past what EKS accepts")))
}
