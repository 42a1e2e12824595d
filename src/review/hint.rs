//! Where to open the pull request: the "compare" page of the common hosts, when the remote's URL
//! shows which host it is (github.com or a GitHub Enterprise host named so, GitLab, Bitbucket
//! Cloud, Azure DevOps). Other hosts and local paths get no hint: the branch name is printed anyway.

/// The page that opens a pull request of `branch` into `base` on the host of `url`.
pub fn compare_url(url: &str, base: &str, branch: &str) -> Option<String> {
    let remote = RemoteUrl::parse(url)?;
    let host = remote.host.to_ascii_lowercase();
    let path = remote.path.trim_matches('/').trim_end_matches(".git");
    let web = format!("{}://{}", remote.web_scheme, remote.host);
    let (branch_q, base_q) = (query(branch), query(base));
    if host == "dev.azure.com" || host == "ssh.dev.azure.com" || host.ends_with(".visualstudio.com") {
        return azure_devops(&remote, path, &branch_q, &base_q);
    }
    if host.contains("github") {
        return Some(format!("{web}/{path}/compare/{base_q}...{branch_q}?expand=1"));
    }
    if host.contains("gitlab") {
        return Some(format!(
            "{web}/{path}/-/merge_requests/new?merge_request%5Bsource_branch%5D={branch_q}&merge_request%5Btarget_branch%5D={base_q}"
        ));
    }
    if host == "bitbucket.org" {
        return Some(format!(
            "{web}/{path}/pull-requests/new?source={branch_q}&dest={base_q}"
        ));
    }
    None
}

/// Azure DevOps names a repository `org/project/_git/repo` over HTTPS (or `project/_git/repo` on
/// an `org.visualstudio.com` host) and `v3/org/project/repo` over SSH.
fn azure_devops(remote: &RemoteUrl, path: &str, branch: &str, base: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let repo_page = match parts.as_slice() {
        ["v3", org, project, repo] => format!("https://dev.azure.com/{org}/{project}/_git/{repo}"),
        [.., project, "_git", repo] if remote.host.to_ascii_lowercase().ends_with(".visualstudio.com") => {
            let collection = parts
                .len()
                .checked_sub(3)
                .map(|n| parts[..n].join("/"))
                .unwrap_or_default();
            let prefix = if collection.is_empty() {
                String::new()
            } else {
                format!("{collection}/")
            };
            format!("https://{}/{prefix}{project}/_git/{repo}", remote.host)
        }
        [org, project, "_git", repo] => format!("https://dev.azure.com/{org}/{project}/_git/{repo}"),
        _ => return None,
    };
    Some(format!(
        "{repo_page}/pullrequestcreate?sourceRef={branch}&targetRef={base}"
    ))
}

struct RemoteUrl {
    host: String,
    path: String,
    /// `http` only for a remote fetched over plain HTTP; SSH remotes have an HTTPS web side.
    web_scheme: &'static str,
}

impl RemoteUrl {
    /// `scheme://[user@]host[:port]/path`, or scp-like `[user@]host:path`; None for local paths.
    fn parse(url: &str) -> Option<RemoteUrl> {
        if let Some((scheme, rest)) = url.split_once("://") {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit('@').next()?;
            let host = host.split(':').next()?.to_string();
            if host.is_empty() || scheme.eq_ignore_ascii_case("file") {
                return None;
            }
            let web_scheme = if scheme.eq_ignore_ascii_case("http") {
                "http"
            } else {
                "https"
            };
            return Some(RemoteUrl {
                host,
                path: path.to_string(),
                web_scheme,
            });
        }
        // scp-like syntax: a colon before any slash.
        let (authority, path) = url.split_once(':')?;
        if authority.contains('/') || authority.is_empty() {
            return None;
        }
        Some(RemoteUrl {
            host: authority.rsplit('@').next()?.to_string(),
            path: path.to_string(),
            web_scheme: "https",
        })
    }
}

/// Percent-encodes a branch name for a URL (keeps the characters branch names commonly use).
fn query(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::compare_url;

    const BRANCH: &str = "kfscale/acme-prod/0123456789ab";

    #[test]
    fn each_common_host_gets_its_own_page() {
        let cases = [
            (
                "git@github.com:acme/kfuse-values.git",
                "https://github.com/acme/kfuse-values/compare/main...kfscale/acme-prod/0123456789ab?expand=1",
            ),
            (
                "https://github.com/acme/kfuse-values",
                "https://github.com/acme/kfuse-values/compare/main...kfscale/acme-prod/0123456789ab?expand=1",
            ),
            (
                "ssh://git@github.example.com:2222/ops/values.git",
                "https://github.example.com/ops/values/compare/main...kfscale/acme-prod/0123456789ab?expand=1",
            ),
            (
                "https://gitlab.com/acme/infra/kfuse-values.git",
                "https://gitlab.com/acme/infra/kfuse-values/-/merge_requests/new?merge_request%5Bsource_branch%5D=kfscale/acme-prod/0123456789ab&merge_request%5Btarget_branch%5D=main",
            ),
            (
                "http://gitlab.internal/ops/values.git",
                "http://gitlab.internal/ops/values/-/merge_requests/new?merge_request%5Bsource_branch%5D=kfscale/acme-prod/0123456789ab&merge_request%5Btarget_branch%5D=main",
            ),
            (
                "git@bitbucket.org:acme/kfuse-values.git",
                "https://bitbucket.org/acme/kfuse-values/pull-requests/new?source=kfscale/acme-prod/0123456789ab&dest=main",
            ),
            (
                "https://acme@dev.azure.com/acme/Observability/_git/kfuse-values",
                "https://dev.azure.com/acme/Observability/_git/kfuse-values/pullrequestcreate?sourceRef=kfscale/acme-prod/0123456789ab&targetRef=main",
            ),
            (
                "git@ssh.dev.azure.com:v3/acme/Observability/kfuse-values",
                "https://dev.azure.com/acme/Observability/_git/kfuse-values/pullrequestcreate?sourceRef=kfscale/acme-prod/0123456789ab&targetRef=main",
            ),
            (
                "https://acme.visualstudio.com/DefaultCollection/Observability/_git/kfuse-values",
                "https://acme.visualstudio.com/DefaultCollection/Observability/_git/kfuse-values/pullrequestcreate?sourceRef=kfscale/acme-prod/0123456789ab&targetRef=main",
            ),
        ];
        for (url, page) in cases {
            assert_eq!(compare_url(url, "main", BRANCH).as_deref(), Some(page), "{url}");
        }
    }

    #[test]
    fn unknown_hosts_and_local_paths_get_no_hint() {
        for url in [
            "/srv/git/values.git",
            "file:///srv/git/values.git",
            "../values.git",
            "https://git.example.com/ops/values.git",
            "http://127.0.0.1:41234/values.git",
        ] {
            assert_eq!(compare_url(url, "main", BRANCH), None, "{url}");
        }
    }

    #[test]
    fn odd_characters_in_branch_names_are_encoded() {
        let page = compare_url("git@github.com:a/b.git", "release 1", "kfscale/a+b/1").unwrap();
        assert_eq!(
            page,
            "https://github.com/a/b/compare/release%201...kfscale/a%2Bb/1?expand=1"
        );
    }
}
