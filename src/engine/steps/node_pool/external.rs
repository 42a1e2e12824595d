//! Nodes that arrive by other means (Karpenter, a self-managed group, Terraform, a colleague): kfscale
//! adds none. The step waits until the planned number of Ready, schedulable nodes match the pool's
//! selector, and checks they are alike: the same instance type, labels and taints (per-node labels
//! such as the hostname and zone aside). While it waits it shows how many are there and names any
//! odd node; when the count is reached and a node is still odd, the step fails naming it, since
//! Kloudfuse's replicas assume equal nodes.
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::report::progress::Progress as Report;
use crate::snapshot::{NodeShape, OddNode, odd_nodes};

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let total = ctx.plan.node_pool.after.total();
    let (kube, selector) = (&ctx.systems.kube, &ctx.systems.pool_selector);
    let what = format!("{total} Ready, schedulable nodes matching {selector} (added outside kfscale)");
    let (this, what_ref) = (&*ctx, what.as_str());
    let (ready, odd) = ctx
        .wait_for(what_ref, ctx.settings.node_pool_timeout, || async move {
            let nodes = kube.nodes().await?;
            let shapes: Vec<NodeShape> = nodes
                .iter()
                .filter(|n| super::takes_pods(selector, n))
                .map(super::shape_of)
                .collect();
            let ready = shapes.len() as u32;
            let odd = odd_nodes(&shapes);
            let mut text = format!("{ready}/{total} nodes Ready");
            if !odd.is_empty() {
                text.push_str(&format!("; odd: {}", names(&odd)));
            }
            this.report(Report::new(this.step.as_str(), what_ref, &text).counted(
                f64::from(ready),
                f64::from(total),
                "nodes",
            ));
            Ok(((ready >= total).then_some((ready, odd)), text))
        })
        .await?;
    ctx.observe("ready_nodes", &ready);
    if !odd.is_empty() {
        let listed: Vec<String> = odd.iter().map(OddNode::to_string).collect();
        return Err(StepError::failed(format!(
            "{ready} nodes match {selector}, but not all alike: {}; fix: replace or relabel the odd node(s) so every node has the same instance type, labels and taints (or narrow cluster.external.node_selector), then re-run `kfscale apply`",
            listed.join("; ")
        )));
    }
    Ok(Outcome::Done(format!(
        "{ready} Ready nodes match {selector}, all alike"
    )))
}

fn names(odd: &[OddNode]) -> String {
    odd.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")
}
