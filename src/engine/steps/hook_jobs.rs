//! Delete leftover Helm hook jobs: their spec is immutable, so a finished one blocks the next
//! upgrade. A hook job still running is waited for, never deleted.
use crate::engine::context::{Outcome, StepContext, StepError};

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let kube = &ctx.systems.kube;
    let hooks = ctx.plan.profile.hook_jobs.clone();
    let is_hook = |name: &str| hooks.iter().any(|hook| name.starts_with(hook.as_str()));
    ctx.wait_for("hook jobs to finish", ctx.settings.rollout_timeout, || async {
        let running: Vec<String> = kube
            .jobs()
            .await?
            .into_iter()
            .filter(|j| is_hook(&j.name) && j.active > 0)
            .map(|j| j.name)
            .collect();
        Ok((
            running.is_empty().then_some(()),
            format!("running: {}", running.join(", ")),
        ))
    })
    .await?;
    let leftovers: Vec<String> = kube
        .jobs()
        .await?
        .into_iter()
        .filter(|j| is_hook(&j.name))
        .map(|j| j.name)
        .collect();
    if leftovers.is_empty() {
        return Ok(Outcome::Skipped("no leftover hook job".into()));
    }
    for job in &leftovers {
        kube.delete_job(job).await?;
    }
    ctx.observe("deleted", &leftovers);
    Ok(Outcome::Done(format!("deleted {}", leftovers.join(", "))))
}
