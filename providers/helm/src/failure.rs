//! What a failed helm said, read for kfscale: whether another try may succeed (the API server was
//! unreachable, overloaded or throttling) and what the operator should do otherwise. helm reports
//! every failure as exit 1 with Go error text, so the text is all there is.

/// Fragments of helm's stderr that mean the API server, not the request, was the problem.
const TRANSIENT: &[&str] = &[
    "connection refused",
    "connection reset",
    "i/o timeout",
    "tls handshake timeout",
    "context deadline exceeded",
    "client rate limiter",
    "too many requests",
    "the server is currently unable to handle the request",
    "the server was unable to return a response in the time allotted",
    "etcdserver: request timed out",
    "etcdserver: leader changed",
    "http2: client connection lost",
    "unexpected eof",
    "no route to host",
    "service unavailable",
    "internal error occurred",
    // `helm rollback` reports any failure to read the target revision's record, an API timeout
    // included, as "release has no N version"; kfscale picks the target from the revisions it
    // has just listed, so a re-try (listing again) is the way on.
    "release has no",
];

pub fn is_transient(stderr: &str) -> bool {
    let lower = stderr.to_ascii_lowercase();
    TRANSIENT.iter().any(|fragment| lower.contains(fragment))
}

/// The operator's next move for a failure of `helm <command>`.
pub fn fix(command: &str, stderr: &str) -> String {
    let lower = stderr.to_ascii_lowercase();
    if is_transient(stderr) {
        return "the Kubernetes API server was unreachable or overloaded: check it (`kubectl get --raw /readyz`), then re-run `kfscale apply` to resume".into();
    }
    if lower.contains("another operation (install/upgrade/rollback) is in progress") {
        return "another helm operation holds the release: wait for it (`helm history`), or roll back the pending revision, then re-run".into();
    }
    if lower.contains("field is immutable") || lower.contains("cannot patch") {
        return "the chart changes a field Kubernetes will not patch: see the object named above; delete and let the upgrade recreate it only if that is safe, then re-run".into();
    }
    if lower.contains("forbidden") || lower.contains("unauthorized") {
        return "the kubeconfig's user may not do this: use a context with rights on the release's namespace, then re-run".into();
    }
    if lower.contains("no matches for kind") || lower.contains("resource mapping not found") {
        return "the chart renders a kind or API version this cluster does not serve (see the object named above): use a chart version built for this Kubernetes version, or install the CRD it needs, then re-run".into();
    }
    if lower.contains("failed to download")
        || lower.contains("not found") && (command == "upgrade" || command == "pull")
    {
        return "the chart or its version cannot be pulled: check helm.chart in kfscale.yaml and the registry login (`helm registry login`), then re-run".into();
    }
    format!(
        "run the same `helm {command}` by hand to see the whole error, fix its cause, then re-run `kfscale apply` to resume"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_overloaded_api_server_is_transient() {
        for stderr in [
            "Error: UPGRADE FAILED: Get \"https://10.0.0.1:443/api\": dial tcp 10.0.0.1:443: connect: connection refused",
            "Error: UPGRADE FAILED: the server is currently unable to handle the request (get secrets)",
            "Error: UPGRADE FAILED: client rate limiter Wait returned an error: context deadline exceeded",
            "Error: Kubernetes cluster unreachable: Get \"https://x/version\": net/http: TLS handshake timeout",
        ] {
            assert!(is_transient(stderr), "{stderr}");
            assert!(fix("upgrade", stderr).contains("re-run"), "{stderr}");
        }
    }

    #[test]
    fn a_refused_change_is_not_transient_and_gets_its_own_fix() {
        let stderr = "Error: UPGRADE FAILED: cannot patch \"kafka\" with kind StatefulSet: StatefulSet.apps \"kafka\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas' are forbidden";
        assert!(!is_transient(stderr));
        let busy = "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress";
        assert!(!is_transient(busy));
        assert!(fix("upgrade", busy).contains("helm history"));
        assert!(fix("upgrade", "Error: template: kfuse/x.yaml:3: bad").contains("by hand"));
        let unserved = "Error: UPGRADE FAILED: unable to build kubernetes objects from new release manifest: resource mapping not found for name: \"kafka\" namespace: \"\" from \"\": no matches for kind \"PodDisruptionBudget\" in version \"policy/v1\"";
        assert!(fix("upgrade", unserved).contains("API version this cluster does not serve"));
        let unpulled = "Error: oci://127.0.0.1:5000/kfuse-helm/kfuse:3.4.9: not found";
        assert!(fix("pull", unpulled).contains("cannot be pulled"));
    }
}
