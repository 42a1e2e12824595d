//! Grow an EKS managed node group. The resize carries a client request token derived from the
//! plan, recorded before the call: a resumed apply polls the recorded update, or re-sends the same
//! token, which EKS treats as the same request. Done = the group is ACTIVE at the new size and that
//! many nodes of the pool are Ready in Kubernetes.
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::progress::Progress as Report;
use crate::engine::systems::NodePoolClient;

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let NodePoolClient::Eks {
        eks,
        cluster,
        nodegroup,
    } = &ctx.systems.node_pool
    else {
        return Err(StepError::failed(
            "the EKS node-pool step was given another cloud's pool",
        ));
    };
    let target = ctx.plan.node_pool.after.clone();
    let group = eks.describe(cluster, nodegroup).await?;
    let already_sent: Option<String> = ctx.handle("update_id");
    let mut acted = already_sent.is_some();
    if group.desired_size as u32 != target.total && already_sent.is_none() {
        let token: String = ctx.handle("request_token").unwrap_or_else(|| request_token(ctx));
        ctx.record_handle("request_token", &token)?;
        let min = target.min.unwrap_or(group.min_size as u32);
        let max = target.max.unwrap_or(group.max_size as u32).max(target.total);
        ctx.info(&format!(
            "UpdateNodegroupConfig {nodegroup}: desired {} -> {}, max {max} (token {token})",
            group.desired_size, target.total
        ));
        let update = eks
            .resize(cluster, nodegroup, min as i32, target.total as i32, max as i32, &token)
            .await?;
        ctx.record_handle("update_id", &update.id)?;
        acted = true;
    }
    let (kube, want) = (&ctx.systems.kube, target.total);
    let label = "eks.amazonaws.com/nodegroup";
    let what = format!("{want} Ready nodes of {nodegroup}");
    let (this, what) = (&*ctx, what.as_str());
    let ready = ctx
        .wait_for(what, ctx.settings.node_pool_timeout, || async move {
            let group = eks.describe(cluster, nodegroup).await?;
            let nodes = kube.nodes().await?;
            let ready = nodes
                .iter()
                .filter(|n| n.labels.get(label) == Some(nodegroup) && n.ready && !n.unschedulable)
                .count() as u32;
            let done = group.status == "ACTIVE" && group.desired_size as u32 == want && ready >= want;
            let text = format!(
                "group {} desired {}, {ready}/{want} nodes Ready",
                group.status, group.desired_size
            );
            this.report(Report::new(this.step, what, &text).counted(f64::from(ready), f64::from(want), "nodes"));
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
