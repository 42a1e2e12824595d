//! The kubeconfig as kubectl reads it, and what it says about a context, without contacting the
//! cluster: `validate` checks it, `init` learns the cluster's cloud name from it.
use std::path::Path;

use kube::config::Kubeconfig;

use crate::KubeError;

/// One context of a kubeconfig: its names, the API server and how its user logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    /// Which kubeconfig (a path, or `KUBECONFIG=...`), for messages.
    pub kubeconfig: String,
    pub context: String,
    /// The context's cluster entry: `arn:aws:eks:<region>:<account>:cluster/<name>` as `aws eks
    /// update-kubeconfig` writes it, `gke_<project>_<location>_<name>` as gcloud does.
    pub cluster: String,
    pub server: Option<String>,
    pub namespace: Option<String>,
    /// The user's exec plugin arguments (`eks get-token --cluster-name NAME --region R`).
    pub exec_args: Vec<String>,
    /// The user's exec plugin environment (`AWS_PROFILE` as `aws eks update-kubeconfig
    /// --profile` writes it), sorted by name.
    pub exec_env: Vec<(String, String)>,
}

/// `context` (else the current one) of `kubeconfig` (else KUBECONFIG, else ~/.kube/config).
pub fn describe_context(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<ContextInfo, KubeError> {
    let (file, shown) = read_kubeconfig(kubeconfig)?;
    let name = match context.map(String::from).or_else(|| file.current_context.clone()) {
        Some(name) if !name.is_empty() => name,
        _ => {
            return Err(KubeError::NoCurrentContext {
                path: shown,
                known: known_contexts(&file),
            });
        }
    };
    let named = require_context(&file, &shown, &name)?;
    let entry = named.context.as_ref();
    let cluster = entry.map(|c| c.cluster.clone()).unwrap_or_default();
    let user = entry.and_then(|c| c.user.clone());
    let server = file
        .clusters
        .iter()
        .find(|c| c.name == cluster)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone());
    let exec = file
        .auth_infos
        .iter()
        .find(|u| Some(&u.name) == user.as_ref())
        .and_then(|u| u.auth_info.as_ref())
        .and_then(|a| a.exec.as_ref());
    let exec_args = exec.and_then(|e| e.args.clone()).unwrap_or_default();
    // Each entry is one `{name, value}` pair.
    let mut exec_env: Vec<(String, String)> = exec
        .and_then(|e| e.env.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|pair| Some((pair.get("name")?.clone(), pair.get("value")?.clone())))
        .collect();
    exec_env.sort();
    Ok(ContextInfo {
        kubeconfig: shown,
        context: name,
        cluster,
        server,
        namespace: entry.and_then(|c| c.namespace.clone()),
        exec_args,
        exec_env,
    })
}

/// The context named `context`, or [`KubeError::UnknownContext`] listing those there are.
pub(crate) fn require_context<'k>(
    file: &'k Kubeconfig,
    shown: &str,
    context: &str,
) -> Result<&'k kube::config::NamedContext, KubeError> {
    file.contexts
        .iter()
        .find(|named| named.name == context)
        .ok_or_else(|| KubeError::UnknownContext {
            path: shown.to_string(),
            context: context.into(),
            known: known_contexts(file),
        })
}

fn known_contexts(file: &Kubeconfig) -> String {
    let known: Vec<&str> = file.contexts.iter().map(|named| named.name.as_str()).collect();
    if known.is_empty() {
        "no contexts".into()
    } else {
        known.join(", ")
    }
}

/// The kubeconfig kubectl would use: `path`, else the files of KUBECONFIG (merged), else
/// ~/.kube/config; with how to name it in a message. A missing one is [`KubeError::NoKubeconfig`].
pub(crate) fn read_kubeconfig(path: Option<&Path>) -> Result<(Kubeconfig, String), KubeError> {
    let missing = |tried: String| {
        KubeError::NoKubeconfig {
        tried,
        fix: "write one (your cloud's CLI does: aws eks update-kubeconfig, gcloud container clusters get-credentials, az aks get-credentials) or name it with --kubeconfig".into(),
    }
    };
    if let Some(path) = path {
        if !path.exists() {
            return Err(missing(path.display().to_string()));
        }
        let file = Kubeconfig::read_from(path).map_err(|err| KubeError::Kubeconfig {
            path: path.display().to_string(),
            message: err.to_string(),
        })?;
        return Ok((file, path.display().to_string()));
    }
    let from_env = std::env::var_os("KUBECONFIG").filter(|value| !value.is_empty());
    let shown = match &from_env {
        Some(value) => {
            let paths: Vec<_> = std::env::split_paths(value).collect();
            if !paths.iter().any(|path| path.exists()) {
                return Err(missing(format!("KUBECONFIG={}", value.to_string_lossy())));
            }
            format!("KUBECONFIG={}", value.to_string_lossy())
        }
        None => {
            let home = std::env::var_os("HOME")
                .map(std::path::PathBuf::from)
                .unwrap_or_default();
            let default = home.join(".kube").join("config");
            if !default.exists() {
                return Err(missing(default.display().to_string()));
            }
            default.display().to_string()
        }
    };
    let file = Kubeconfig::read().map_err(|err| KubeError::Kubeconfig {
        path: shown.clone(),
        message: err.to_string(),
    })?;
    Ok((file, shown))
}
