//! Customer git remotes: bare repositories seeded with the rig's values file.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::RigEnv;

/// Creates `<run dir>/git/<name>.git`, a bare repository on branch main holding `values.yaml` (the
/// rig's seed values file) in one commit, and returns its path. Each test makes its own.
pub fn seeded_remote(rig: &RigEnv, name: &str) -> Result<PathBuf> {
    let root = rig.run_dir()?.join("git");
    let bare = root.join(format!("{name}.git"));
    let work = root.join(format!("{name}.seed"));
    git(&root, &["init", "-q", "--bare", "-b", "main", path(&bare)?])?;
    git(&root, &["clone", "-q", path(&bare)?, path(&work)?])?;
    std::fs::copy(rig.get("KFSCALE_RIG_VALUES")?, work.join("values.yaml")).context("copying the seed values file")?;
    git(&work, &["add", "values.yaml"])?;
    git(
        &work,
        &[
            "-c",
            "user.name=kfscale rig",
            "-c",
            "user.email=rig@kfscale.invalid",
            "commit",
            "-q",
            "-m",
            "Kloudfuse values",
        ],
    )?;
    git(&work, &["push", "-q", "origin", "main"])?;
    std::fs::remove_dir_all(&work).context("removing the seed clone")?;
    Ok(bare)
}

fn path(p: &Path) -> Result<&str> {
    p.to_str().with_context(|| format!("{} is not UTF-8", p.display()))
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
