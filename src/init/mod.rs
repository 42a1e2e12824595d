//! `kfscale init`: a first kfscale.yaml, from what the current kube context can tell. It reads,
//! never changes: the kubeconfig's context, the Helm release records (the Kloudfuse release and
//! its namespace), the nodes the release's pods run on (the node pool and its cloud's names), the
//! git repository of the current directory. What it cannot find is left for the operator, named.
use std::path::{Component, Path, PathBuf};

use anyhow::Context;

mod cloud_names;
mod draft;
mod pool;
mod release;
mod render;
mod repo;

pub use draft::{Draft, FILL_IN};
pub use render::{found_lines, render_config, to_fill_in};

/// What `init` was asked.
pub struct InitRequest<'a> {
    /// `--kubeconfig` (absolute); None: KUBECONFIG, else ~/.kube/config.
    pub kubeconfig: Option<&'a Path>,
    /// `--context`; None: the kubeconfig's current context.
    pub context: Option<&'a str>,
    /// `-n`: look for the release there only; None: in every namespace.
    pub namespace: Option<&'a str>,
    /// `--release`: this release, whatever its chart.
    pub release: Option<&'a str>,
    /// `--values`, as given (relative to `cwd`).
    pub values: Option<&'a Path>,
    /// The directory the kfscale.yaml goes to (absolute): its paths are written relative to it.
    pub config_dir: &'a Path,
    pub cwd: &'a Path,
}

/// Reads the cluster and the working directory into a draft of kfscale.yaml.
pub async fn discover(request: &InitRequest<'_>) -> anyhow::Result<Draft> {
    // The values file first: a wrong path is refused before the cluster is contacted.
    let values_file = match request.values {
        Some(path) => {
            let absolute = request.cwd.join(path);
            anyhow::ensure!(
                absolute.is_file(),
                "--values {}: no such file; fix: give the customer values file the release was installed from",
                path.display()
            );
            Some(relative_path(request.config_dir, &absolute))
        }
        None => None,
    };
    let context = kfscale_kube::describe_context(request.kubeconfig, request.context)?;
    let kube = kfscale_kube::Kube::connect(
        request.kubeconfig,
        Some(&context.context),
        request.namespace.unwrap_or("default"),
    )
    .await?;
    let records = kube
        .helm_releases(request.namespace.is_none())
        .await
        .context("looking for the Kloudfuse release")?;
    let record = release::choose(&records, request.namespace, request.release)?;
    let kube = kube.in_namespace(&record.namespace);
    let nodes = kube.nodes().await.context("reading the nodes")?;
    let pods = kube.pods().await.context("reading the release's pods")?;
    let (pool, pool_evidence) = pool::pool_draft(&nodes, &pods, &context);
    let (git, git_missing) = match repo::git_draft(request.cwd, request.config_dir) {
        Ok(git) => (Some(git), None),
        Err(why) => (None, Some(why)),
    };
    Ok(Draft {
        pool,
        pool_evidence,
        kubeconfig: request.kubeconfig.map(Path::to_path_buf),
        context: context.context,
        namespace: record.namespace.clone(),
        release: record.name.clone(),
        release_evidence: format!(
            "chart {} {}, revision {}, {}",
            record.chart, record.chart_version, record.revision, record.status
        ),
        values_file,
        git,
        git_missing,
    })
}

/// `to` relative to the directory `from` when one holds the other (`.`, `values.yaml`, `..`),
/// else `to` as it is. Both absolute.
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let (from, to) = (normalize(from), normalize(to));
    if let Ok(below) = to.strip_prefix(&from) {
        return match below.as_os_str().is_empty() {
            true => PathBuf::from("."),
            false => below.to_path_buf(),
        };
    }
    match from.strip_prefix(&to) {
        Ok(above) => above.components().map(|_| Component::ParentDir).collect(),
        Err(_) => to,
    }
}

/// Symlinks resolved where the path exists (a temporary directory behind /tmp), `.` dropped.
fn normalize(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.components().filter(|c| *c != Component::CurDir).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_relative_to_the_config_file() {
        let dir = Path::new("/nowhere/customer");
        assert_eq!(relative_path(dir, Path::new("/nowhere/customer")), PathBuf::from("."));
        assert_eq!(
            relative_path(dir, Path::new("/nowhere/customer/values/v.yaml")),
            PathBuf::from("values/v.yaml")
        );
        assert_eq!(
            relative_path(Path::new("/nowhere/customer/ops"), dir),
            PathBuf::from("..")
        );
        assert_eq!(
            relative_path(dir, Path::new("/elsewhere/v.yaml")),
            PathBuf::from("/elsewhere/v.yaml")
        );
    }
}
