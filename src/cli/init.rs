//! `kfscale init`: writes a first kfscale.yaml from the current kube context (`crate::init`
//! discovers), prints what it found and what is left to fill in. An existing kfscale.yaml is
//! never overwritten without --force.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;

use crate::config::{Config, config_path};
use crate::init::{InitRequest, discover, found_lines, render_config, to_fill_in};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write it (default: $KFSCALE_CONFIG, else ./kfscale.yaml: where the other commands
    /// look).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The customer values file the release was installed from (written as values.file).
    #[arg(long, value_name = "FILE")]
    pub values: Option<PathBuf>,
    /// The release to use, whatever its chart (default: the one release of chart kfuse).
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub kube: super::kube_flags::KubeArgs,
}

pub async fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let (path, _) = config_path(args.config.as_deref());
    if path.exists() && !args.force {
        bail!(
            "{} already exists, and init never overwrites it; nothing was written; fix: edit it (`kfscale validate` checks it), or pass --force to write a new one from the cluster",
            path.display()
        );
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let absolute = cwd.join(&path);
    let config_dir = absolute.parent().unwrap_or(&cwd).to_path_buf();
    // kubectl's reading of --kubeconfig: relative to where kfscale runs.
    let kubeconfig = args.kube.kubeconfig.as_ref().map(|p| cwd.join(p));
    let request = InitRequest {
        kubeconfig: kubeconfig.as_deref(),
        context: args.kube.context.as_deref(),
        namespace: args.kube.namespace.as_deref(),
        release: args.release.as_deref(),
        values: args.values.as_deref(),
        config_dir: &config_dir,
        cwd: &cwd,
    };
    let draft = discover(&request).await?;
    let text = render_config(&draft, &crate::time::now_rfc3339());
    // What init writes must read back as a kfscale.yaml: the same parser `validate` runs.
    crate::values::typed::from_yaml_str::<Config>(&path.display().to_string(), &text)
        .context("kfscale init wrote a kfscale.yaml its own parser refuses (a bug): nothing was written")?;
    crate::files::write_atomic(&path, text.as_bytes()).with_context(|| {
        format!(
            "writing {}; fix: check the directory exists and is writable",
            path.display()
        )
    })?;

    crate::outln!("Wrote {}. Found:", path.display());
    for line in found_lines(&draft) {
        crate::outln!("  {line}");
    }
    let left = to_fill_in(&draft);
    crate::outln!("Still to fill in ({}):", left.len());
    for line in &left {
        crate::outln!("  {line}");
    }
    crate::outln!("Then check it: kfscale validate{}", config_flag(args.config.as_deref()));
    Ok(ExitCode::SUCCESS)
}

fn config_flag(flag: Option<&Path>) -> String {
    flag.map(|path| format!(" --config {}", path.display()))
        .unwrap_or_default()
}
