//! What this machine must have before kfscale contacts anything: the kubeconfig and its context,
//! the helm binary, the customer repository on its branch, the AWS profile. `validate` runs these;
//! each failure names the kfscale.yaml key and the fix.
use std::path::{Path, PathBuf};

use super::ConfigContext;
use crate::config::ClusterConfig;

/// The context kfscale would use, or the problem with the kubeconfig or the context.
pub fn kube_context(context: &ConfigContext<'_>) -> Result<kfscale_kube::ContextInfo, String> {
    let kubernetes = &context.config.kubernetes;
    let kubeconfig = kubernetes.kubeconfig.as_ref().map(|path| context.resolve(path));
    kfscale_kube::describe_context(kubeconfig.as_deref(), kubernetes.context.as_deref()).map_err(|err| match err {
        kfscale_kube::KubeError::NoKubeconfig { tried, .. } => format!(
            "kubernetes.kubeconfig: no kubeconfig: {tried} does not exist; fix: {}",
            super::kubeconfig_fix(context.config.cluster.as_ref())
        ),
        err @ (kfscale_kube::KubeError::UnknownContext { .. } | kfscale_kube::KubeError::NoCurrentContext { .. }) => {
            format!("kubernetes.context: {err}")
        }
        err => format!("kubernetes.kubeconfig: {err}"),
    })
}

/// The helm binary `helm.binary` names: a path, or a name found on PATH as a shell would.
pub fn helm_binary(context: &ConfigContext<'_>) -> Result<PathBuf, String> {
    let binary = &context.config.helm.binary;
    let found = if binary.components().count() > 1 {
        Some(binary.clone()).filter(|path| is_executable(path))
    } else {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(binary))
                .find(|candidate| is_executable(candidate))
        })
    };
    found.ok_or_else(|| {
        let place = if binary.components().count() > 1 {
            format!("{} is not an executable file", binary.display())
        } else {
            format!("`{}` is not on PATH", binary.display())
        };
        format!(
            "helm.binary: {place}; fix: install helm 3 (https://helm.sh/docs/intro/install/), or set helm.binary in {} to its path",
            context.origin
        )
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// `git.repo` is a repository and has `git.branch`; None without a `git:` section.
pub fn git_repo(context: &ConfigContext<'_>) -> Option<Result<(), String>> {
    let git = context.config.git.as_ref()?;
    let path = context.resolve(&git.repo);
    let repo = match kfscale_git::Repo::discover(&path) {
        Ok(repo) => repo,
        Err(_) => {
            return Some(Err(format!(
                "git.repo: {} is not in a git repository; fix: point git.repo at the customer repository (relative to {}), or clone it there",
                path.display(),
                context.origin
            )));
        }
    };
    let Some(branch) = &git.branch else {
        return Some(Ok(()));
    };
    let exists = matches!(repo.resolve(&format!("refs/heads/{branch}")), Ok(Some(_)))
        || repo.head_branch().as_deref() == Some(branch.as_str());
    Some(match exists {
        true => Ok(()),
        false => Err(format!(
            "git.branch: the repository {} has no branch `{branch}`{}; fix: set git.branch to the branch the values file is committed on, or create it (`git -C {} switch -c {branch}`)",
            repo.root().display(),
            repo.head_branch()
                .map(|head| format!(" (HEAD is on {head})"))
                .unwrap_or_default(),
            repo.root().display()
        )),
    })
}

/// The AWS profile and region an EKS pool would use, or why there are none; None for other pools.
pub async fn aws(context: &ConfigContext<'_>) -> Option<Result<super::AwsTarget, String>> {
    let Some(ClusterConfig::Aws { region, profile, .. }) = &context.config.cluster else {
        return None;
    };
    Some(
        super::aws_target(context.origin, region.as_deref(), profile.as_deref())
            .await
            .map_err(|err| format!("{err:#}")),
    )
}
