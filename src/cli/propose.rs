//! `kfscale propose PLANFILE`: pushes a saved plan for review to the customer remote, as one
//! commit on the review branch `kfscale/<cluster>/<plan id>` (see src/review/). Nothing in the
//! cluster changes.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::config::LoadedConfig;
use crate::planfile::parse_plan_file;
use crate::review::{Proposed, RepoTarget, propose};

#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// A plan saved with `kfscale plan -out FILE`.
    pub plan_file: PathBuf,
    /// Config file (default: $KFSCALE_CONFIG, else ./kfscale.yaml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print what was done as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ProposeArgs) -> anyhow::Result<ExitCode> {
    let loaded = LoadedConfig::require(args.config.as_deref(), "propose")?;
    let proposed = propose_file(&loaded, &args.plan_file)?;
    if args.json {
        crate::outln!("{}", serde_json::to_string(&proposed)?);
    } else {
        crate::out!("{}", describe(&proposed, &args.plan_file));
    }
    Ok(ExitCode::SUCCESS)
}

/// Proposes the plan in `plan_file` (read once; a damaged or edited file is refused).
pub fn propose_file(loaded: &LoadedConfig, plan_file: &Path) -> anyhow::Result<Proposed> {
    let shown = plan_file.display().to_string();
    let text = std::fs::read_to_string(plan_file)
        .with_context(|| format!("cannot read plan file {shown}; fix: check the path"))?;
    let plan = parse_plan_file(&shown, &text)?;
    let Some(target) = RepoTarget::open(&loaded.context())? else {
        anyhow::bail!(
            "{}: no `git:` section, so there is no customer repo to propose to; fix: add git (repo, branch, remote)",
            loaded.origin
        );
    };
    propose(&target, plan_file, &text, &plan)
}

/// What the operator reads: the branch, the page to open, and what comes next.
pub fn describe(proposed: &Proposed, plan_file: &Path) -> String {
    let Proposed {
        plan_id,
        remote,
        base,
        branch,
        ..
    } = proposed;
    let short = |commit: &str| commit[..12.min(commit.len())].to_string();
    let mut out = String::new();
    if let Some(merged) = &proposed.merged {
        out.push_str(&format!(
            "Plan {plan_id} is already merged into {remote}/{base} (commit {}): nothing was pushed.\nNext: `git pull`, then `kfscale apply {}`.\n",
            short(merged),
            plan_file.display()
        ));
        return out;
    }
    let commit = proposed.commit.as_deref().map(short).unwrap_or_default();
    if proposed.created {
        out.push_str(&format!(
            "Proposed plan {plan_id} for review: pushed branch {branch} to {remote} (commit {commit}, one commit on {base}).\n"
        ));
    } else {
        out.push_str(&format!(
            "Plan {plan_id} is already proposed: {remote} has branch {branch} with it (commit {commit}); nothing was pushed.\n"
        ));
    }
    out.push_str(&format!(
        "  the planned values file, the plan {} and its report {}\n",
        proposed.plan_path, proposed.report_path
    ));
    match &proposed.compare_url {
        Some(url) => out.push_str(&format!("Open the pull request: {url}\n")),
        None => out.push_str(&format!(
            "Open a pull request of {branch} into {base} on {remote}'s host.\n"
        )),
    }
    out.push_str(&format!(
        "Nothing in the cluster changed. Once reviewers merged it: `git pull`, then `kfscale apply {}`.\n",
        plan_file.display()
    ));
    out
}
