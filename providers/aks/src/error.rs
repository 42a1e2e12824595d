//! Errors of the AKS client. Each names the call and the resource, carries ARM's code and message,
//! and says what to do; the ones worth another try say so (and how long ARM asked to wait).
use std::time::Duration;

/// What users of `az` run to give local programs credentials, named in every credential error.
pub const CREDENTIALS_FIX: &str = "sign in with `az login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a \
                                   service principal; AZURE_FEDERATED_TOKEN_FILE with workload identity; a managed identity on \
                                   Azure), or, for tests, set cluster.azure.access_token_file in kfscale.yaml";

#[derive(Debug, thiserror::Error)]
pub enum AksError {
    /// No credential of the chain could give a token.
    #[error("AKS: no Azure credentials: {detail}; fix: {CREDENTIALS_FIX}")]
    NoCredentials { detail: String },
    /// ARM answered with an error, or could not be reached.
    #[error(transparent)]
    Api(Box<ArmFailure>),
}

/// One failed ARM call.
#[derive(Debug, thiserror::Error)]
#[error("AKS {call} on {resource}: {code}: {message}; fix: {fix}")]
pub struct ArmFailure {
    pub call: &'static str,
    pub resource: String,
    /// ARM's error code (AuthorizationFailed, OperationNotAllowed, ...), or UNREACHABLE / TIMEOUT /
    /// HTTP_<status> when ARM's error body is missing.
    pub code: String,
    pub http_status: Option<u16>,
    pub message: String,
    pub fix: String,
    pub retriable: bool,
    /// How long ARM asked to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl AksError {
    /// Throttling, another operation running on the cluster, a changed eTag, a server-side failure, a
    /// timeout or a connection problem: worth another try.
    pub fn is_retriable(&self) -> bool {
        match self {
            AksError::NoCredentials { .. } => false,
            AksError::Api(failure) => failure.retriable,
        }
    }

    /// ARM's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AksError::NoCredentials { .. } => None,
            AksError::Api(failure) => Some(&failure.code),
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            AksError::NoCredentials { .. } => None,
            AksError::Api(failure) => failure.http_status,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AksError::NoCredentials { .. } => None,
            AksError::Api(failure) => failure.retry_after,
        }
    }

    /// ARM refused a change for a reason that passes and changed nothing: another operation running
    /// on the cluster (409), throttling (429), or the pool changed since it was read (412).
    pub fn refused_for_now(&self) -> bool {
        self.is_retriable() && matches!(self.http_status(), Some(409 | 412 | 429))
    }
}

/// (fix, retriable) for an ARM answer with this status and code. `cluster_id` is the scope a role
/// assignment needs.
pub(crate) fn fix_for(status: u16, code: &str, retry_after: Option<Duration>, cluster_id: &str) -> (String, bool) {
    let code_lower = code.to_ascii_lowercase();
    match (status, code_lower.as_str()) {
        (_, "quotaexceeded") => (
            "the subscription's vCPU quota for this VM family in the region is too small for the new nodes: request a higher quota \
             (portal: Subscriptions > Usage + quotas, or `az quota update`) and re-run `kfscale apply`"
                .into(),
            false,
        ),
        (429, _) => (
            format!(
                "Azure Resource Manager is throttling this subscription's requests: kfscale waits {} and tries again; if it persists, \
                 look for other clients calling ARM in a loop",
                retry_after.map_or("a while".to_string(), |d| format!("the {} s it asked for (Retry-After)", d.as_secs()))
            ),
            true,
        ),
        (409, _) => (
            "another operation runs on the cluster (see `az aks show` provisioningState and `az aks nodepool list`): kfscale waits for it \
             and tries again; if it is stuck, resolve it in the portal or with `az aks update` first"
                .into(),
            true,
        ),
        (412, _) => (
            "the pool changed since kfscale read it (someone else resized or updated it): kfscale reads it again and acts only if the \
             change is still missing"
                .into(),
            true,
        ),
        (403, _) => (
            format!(
                "the identity kfscale runs as has no role assignment that allows this: grant it the `Azure Kubernetes Service \
                 Contributor Role` (or a role with Microsoft.ContainerService/managedClusters/agentPools/read and /write) on the \
                 cluster: `az role assignment create --assignee <its object id> --role \"Azure Kubernetes Service Contributor Role\" \
                 --scope {cluster_id}`; role assignments take a few minutes to apply"
            ),
            false,
        ),
        (401, _) => (crate::error::CREDENTIALS_FIX.to_string(), false),
        (404, _) => (
            "check cluster.azure.subscription, cluster.azure.resource_group, cluster.azure.cluster and cluster.azure.pool in \
             kfscale.yaml (`az aks nodepool list --resource-group <group> --cluster-name <cluster>`)"
                .into(),
            false,
        ),
        (400, _) => (
            "AKS refused the values: check the requested node count against the pool (its autoscaler bounds, at least 1 node in a \
             System pool, at most 1000) and ARM's message"
                .into(),
            false,
        ),
        (500..=599, _) => ("Azure had a transient failure: kfscale retries; re-run if it gave up".into(), true),
        _ => ("see ARM's message".into(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c";

    #[test]
    fn throttling_and_a_busy_cluster_are_retriable_and_say_so() {
        let (fix, retriable) = fix_for(429, "TooManyRequests", Some(Duration::from_secs(7)), SCOPE);
        assert!(retriable && fix.contains("the 7 s it asked for"), "{fix}");
        let (fix, retriable) = fix_for(409, "OperationNotAllowed", None, SCOPE);
        assert!(retriable && fix.contains("another operation"), "{fix}");
        assert!(fix_for(503, "ServiceUnavailable", None, SCOPE).1);
    }

    #[test]
    fn quota_and_a_missing_role_are_permanent_with_their_fix() {
        let (fix, retriable) = fix_for(400, "QuotaExceeded", None, SCOPE);
        assert!(!retriable && fix.contains("quota"), "{fix}");
        let (fix, retriable) = fix_for(403, "AuthorizationFailed", None, SCOPE);
        assert!(
            !retriable && fix.contains("az role assignment create") && fix.contains(SCOPE),
            "{fix}"
        );
        let (fix, _) = fix_for(404, "ResourceNotFound", None, SCOPE);
        assert!(fix.contains("cluster.azure.resource_group"), "{fix}");
    }
}
