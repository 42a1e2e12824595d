//! Errors of the GKE client. Each names the call and the resource and says what to do.
use google_cloud_gax::error::rpc::Code;

/// What `gcloud` users run to give local programs credentials, named in every credential error.
pub const ADC_FIX: &str = "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a \
                           service-account key file (tests: cluster.gcp.access_token_file in kfscale.yaml)";

#[derive(Debug, thiserror::Error)]
pub enum GkeError {
    /// No Application Default Credentials could be found or loaded; checked before any call.
    #[error("GKE: no Google credentials: {detail}; fix: {ADC_FIX}")]
    NoCredentials { detail: String },
    /// The API answered with an error, or could not be reached.
    #[error("GKE {call} on {resource}: {code}: {message}; fix: {fix}")]
    Api {
        call: &'static str,
        resource: String,
        /// Google's status code name (NOT_FOUND, FAILED_PRECONDITION, ...), or UNREACHABLE / TIMEOUT.
        code: String,
        http_status: Option<u16>,
        message: String,
        fix: String,
        retriable: bool,
    },
}

impl GkeError {
    /// Throttling (429 RESOURCE_EXHAUSTED), another operation running on the cluster (400
    /// FAILED_PRECONDITION), an unavailable or unreachable service, a timeout: worth another try later.
    pub fn is_retriable(&self) -> bool {
        match self {
            GkeError::NoCredentials { .. } => false,
            GkeError::Api { retriable, .. } => *retriable,
        }
    }

    /// Google's status code name, when the API answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            GkeError::NoCredentials { .. } => None,
            GkeError::Api { code, .. } => Some(code),
        }
    }

    pub(crate) fn from_gax(call: &'static str, resource: &str, err: &google_cloud_gax::error::Error) -> GkeError {
        let http_status = err.http_status_code();
        if let Some(status) = err.status() {
            let (fix, retriable) = fix_for(status.code, &status.message);
            return GkeError::Api {
                call,
                resource: resource.to_string(),
                code: status.code.name().to_string(),
                http_status,
                message: status.message.clone(),
                fix,
                retriable,
            };
        }
        if err.is_authentication() {
            return GkeError::Api {
                call,
                resource: resource.to_string(),
                code: "UNAUTHENTICATED".into(),
                http_status,
                message: first_clause(&err.to_string()),
                fix: ADC_FIX.into(),
                retriable: false,
            };
        }
        if let Some(code) = http_status {
            // An answer without Google's error body (a proxy, a load balancer).
            return GkeError::Api {
                call,
                resource: resource.to_string(),
                code: format!("HTTP_{code}"),
                http_status,
                message: first_clause(&err.to_string()),
                fix: "the answer did not come from the GKE API: check cluster.gcp.endpoint in kfscale.yaml and any \
                      proxy in between"
                    .into(),
                retriable: code == 429 || code >= 500,
            };
        }
        GkeError::Api {
            call,
            resource: resource.to_string(),
            code: "UNREACHABLE".into(),
            http_status: None,
            message: first_clause(&err.to_string()),
            fix: "check the network path to container.googleapis.com (or cluster.gcp.endpoint in kfscale.yaml), proxy \
                  and firewall"
                .into(),
            retriable: true,
        }
    }
}

/// (fix, retriable) for Google's status codes as GKE uses them.
fn fix_for(code: Code, message: &str) -> (String, bool) {
    match code {
        Code::NotFound => (
            "check cluster.gcp.project, cluster.gcp.location (the cluster's region or zone), cluster.gcp.cluster and \
             cluster.gcp.pool in kfscale.yaml (gcloud container node-pools list --cluster <cluster> --location \
             <location>)"
                .into(),
            false,
        ),
        Code::FailedPrecondition if message.to_ascii_lowercase().contains("operation") => (
            "another operation is running on the cluster: wait for it to finish (gcloud container operations list), \
             then re-run; kfscale retries"
                .into(),
            true,
        ),
        Code::FailedPrecondition => (
            "the pool is not in a state that allows this change: see the message".into(),
            false,
        ),
        Code::ResourceExhausted => (
            "GKE's concurrent-operation quota is exhausted: wait for running operations to finish; kfscale retries"
                .into(),
            true,
        ),
        Code::Unauthenticated => (ADC_FIX.into(), false),
        Code::PermissionDenied => (
            "the credentials lack permission: grant container.nodePools.get/update (roles/container.admin or \
             roles/container.clusterAdmin) on the project, or use other credentials"
                .into(),
            false,
        ),
        Code::InvalidArgument | Code::OutOfRange => (
            "GKE refused the values: check the requested node counts against the pool (per-zone count, autoscaling \
             bounds)"
                .into(),
            false,
        ),
        Code::Unavailable | Code::Internal | Code::Unknown | Code::DeadlineExceeded | Code::Aborted => (
            "GKE had a transient failure: kfscale retries; re-run if it gave up".into(),
            true,
        ),
        _ => ("see the GKE message".into(), false),
    }
}

/// The client's errors nest their causes in one long line; the first clause says what happened.
fn first_clause(text: &str) -> String {
    text.split(" (").next().unwrap_or(text).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_clusters_and_quota_are_retriable_missing_pools_are_not() {
        assert!(
            fix_for(
                Code::FailedPrecondition,
                "Cluster is running incompatible operation operation-1"
            )
            .1
        );
        assert!(!fix_for(Code::FailedPrecondition, "Node pool is being deleted").1);
        assert!(fix_for(Code::ResourceExhausted, "quota").1);
        let (fix, retriable) = fix_for(Code::NotFound, "Not found: nodePools/x");
        assert!(!retriable);
        assert!(fix.contains("cluster.gcp.pool in kfscale.yaml"), "{fix}");
    }
}
