//! A thin client of AWS EKS managed node groups. The standard credential chain applies (profiles,
//! SSO, environment); the endpoint can be overridden (tests: moto) by config or AWS_ENDPOINT_URL_EKS.
use aws_sdk_eks::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_eks::types::NodegroupScalingConfig;

pub mod profiles;

#[derive(Debug, thiserror::Error)]
pub enum EksError {
    #[error("EKS {call} on node group {nodegroup} (cluster {cluster}): {code}: {message}; fix: {fix}")]
    Api {
        call: &'static str,
        cluster: String,
        nodegroup: String,
        code: String,
        message: String,
        fix: String,
        retriable: bool,
    },
}

impl EksError {
    /// Throttling, a concurrent update, or a server-side failure: worth another try later.
    pub fn is_retriable(&self) -> bool {
        match self {
            EksError::Api { retriable, .. } => *retriable,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup {
    pub cluster: String,
    pub name: String,
    pub status: String,
    pub min_size: i32,
    pub max_size: i32,
    pub desired_size: i32,
    pub instance_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub id: String,
    /// InProgress, Failed, Cancelled, Successful.
    pub status: String,
    pub errors: Vec<String>,
}

pub struct Eks {
    client: aws_sdk_eks::Client,
    region: String,
}

/// The longest one attempt of a call may take by default; the SDK makes up to 3.
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Eks {
    /// `endpoint`: an explicit EKS endpoint (else the SDK's default, which honours AWS_ENDPOINT_URL_EKS).
    pub async fn connect(region: &str, endpoint: Option<&str>) -> Eks {
        Eks::connect_with_timeout(region, None, endpoint, ATTEMPT_TIMEOUT).await
    }

    /// As [`Eks::connect`], with the credentials of `profile` (else the standard chain, which
    /// honours AWS_PROFILE) and `attempt` as the longest one attempt may take (the whole call:
    /// three attempts and the backoff between them).
    pub async fn connect_with_timeout(
        region: &str,
        profile: Option<&str>,
        endpoint: Option<&str>,
        attempt: std::time::Duration,
    ) -> Eks {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()));
        if let Some(profile) = profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        // The SDK sets no operation timeout: a silent endpoint would hang the apply. Its standard
        // retries (3 attempts, exponential backoff with jitter) stay.
        loader = loader.timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(attempt)
                .operation_timeout(attempt * 3 + std::time::Duration::from_secs(10))
                .build(),
        );
        let config = loader.load().await;
        Eks {
            client: aws_sdk_eks::Client::new(&config),
            region: region.to_string(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub async fn describe(&self, cluster: &str, nodegroup: &str) -> Result<NodeGroup, EksError> {
        let output = self
            .client
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(nodegroup)
            .send()
            .await
            .map_err(|err| api_error("DescribeNodegroup", cluster, nodegroup, &err))?;
        let group = output.nodegroup().ok_or_else(|| EksError::Api {
            call: "DescribeNodegroup",
            cluster: cluster.into(),
            nodegroup: nodegroup.into(),
            code: "EmptyResponse".into(),
            message: "the response has no node group".into(),
            fix: "retry; report it if it persists".into(),
            retriable: true,
        })?;
        let scaling = group.scaling_config();
        Ok(NodeGroup {
            cluster: cluster.into(),
            name: nodegroup.into(),
            status: group.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            min_size: scaling.and_then(|s| s.min_size()).unwrap_or(0),
            max_size: scaling.and_then(|s| s.max_size()).unwrap_or(0),
            desired_size: scaling.and_then(|s| s.desired_size()).unwrap_or(0),
            instance_types: group.instance_types().to_vec(),
        })
    }

    /// UpdateNodegroupConfig with `token` as the client request token: the same token sent again
    /// (a resumed apply) is the same request, not a second resize.
    pub async fn resize(
        &self,
        cluster: &str,
        nodegroup: &str,
        min: i32,
        desired: i32,
        max: i32,
        token: &str,
    ) -> Result<Update, EksError> {
        let scaling = NodegroupScalingConfig::builder()
            .min_size(min)
            .desired_size(desired)
            .max_size(max)
            .build();
        let output = self
            .client
            .update_nodegroup_config()
            .cluster_name(cluster)
            .nodegroup_name(nodegroup)
            .scaling_config(scaling)
            .client_request_token(token)
            .send()
            .await
            .map_err(|err| api_error("UpdateNodegroupConfig", cluster, nodegroup, &err))?;
        let update = output.update();
        Ok(Update {
            id: update.and_then(|u| u.id()).unwrap_or_default().to_string(),
            status: update
                .and_then(|u| u.status())
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            errors: update
                .map(|u| {
                    u.errors()
                        .iter()
                        .filter_map(|e| e.error_message().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// DescribeUpdate; `Ok(None)` where the endpoint does not implement it (moto), so the caller
    /// falls back to watching the node group itself.
    pub async fn describe_update(
        &self,
        cluster: &str,
        nodegroup: &str,
        update_id: &str,
    ) -> Result<Option<Update>, EksError> {
        let result = self
            .client
            .describe_update()
            .name(cluster)
            .nodegroup_name(nodegroup)
            .update_id(update_id)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.update().map(|u| Update {
                id: u.id().unwrap_or_default().to_string(),
                status: u.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                errors: u
                    .errors()
                    .iter()
                    .filter_map(|e| e.error_message().map(String::from))
                    .collect(),
            })),
            Err(err) if err.raw_response().is_some_and(|r| r.status().as_u16() == 404) && err.code().is_none() => {
                Ok(None)
            }
            Err(err) => Err(api_error("DescribeUpdate", cluster, nodegroup, &err)),
        }
    }
}

fn api_error<E, R>(
    call: &'static str,
    cluster: &str,
    nodegroup: &str,
    err: &aws_sdk_eks::error::SdkError<E, R>,
) -> EksError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let context = DisplayErrorContext(err).to_string();
    let no_credentials = err.code().is_none() && context.contains("credential");
    let code = match err.code() {
        Some(code) => code.to_string(),
        None if no_credentials => "NoCredentials".to_string(),
        None => "Unreachable".to_string(),
    };
    let message = match err.message() {
        Some(message) => message.to_string(),
        None if no_credentials => {
            "no AWS credentials could be loaded (environment, profile, SSO, instance metadata)".to_string()
        }
        // The SDK's context nests Debug output; its first clause says what happened.
        None => context.split(" (").next().unwrap_or(&context).to_string(),
    };
    let (fix, retriable) = match code.as_str() {
        "ResourceNotFoundException" => (
            "check cluster.aws.cluster and cluster.aws.nodegroup in kfscale.yaml (and the region)".to_string(),
            false,
        ),
        "ResourceInUseException" => (
            "another update of the node group is running: wait for it, then re-run".to_string(),
            true,
        ),
        "ThrottlingException" | "TooManyRequestsException" => (
            "AWS is throttling: kfscale retries; re-run if it gave up".to_string(),
            true,
        ),
        "InvalidParameterException" => (
            "the requested sizes are invalid for this node group: check min <= desired <= max".to_string(),
            false,
        ),
        "UnrecognizedClientException" | "InvalidClientTokenId" | "ExpiredTokenException" | "AccessDeniedException" => (
            "check your AWS credentials (profile, SSO login) and that they may call eks:* on this cluster".to_string(),
            false,
        ),
        "ServerException" | "ServiceUnavailableException" => (
            "EKS had an internal error: kfscale retries; re-run if it gave up".to_string(),
            true,
        ),
        "NoCredentials" => (
            "configure AWS credentials: AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                .to_string(),
            false,
        ),
        "Unreachable" => (
            "check the network path to EKS (region, endpoint, proxy)".to_string(),
            true,
        ),
        // AWS's generic server-side codes (InternalFailure, RequestLimitExceeded, ...).
        other
            if ["Internal", "Unavailable", "Throttl", "LimitExceeded"]
                .iter()
                .any(|hint| other.contains(hint)) =>
        {
            (
                "AWS had a transient failure: kfscale retries; re-run if it gave up".to_string(),
                true,
            )
        }
        _ => ("see the AWS error above".to_string(), false),
    };
    EksError::Api {
        call,
        cluster: cluster.into(),
        nodegroup: nodegroup.into(),
        code,
        message,
        fix,
        retriable,
    }
}
