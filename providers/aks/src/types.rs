//! What kfscale reads of ARM: an agent pool and the status of an operation.
use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// Which Azure cloud: its resource manager, the audience of its tokens and its Entra authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    #[default]
    Public,
    UsGovernment,
    China,
}

impl Cloud {
    pub fn resource_manager(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net/",
            Cloud::China => "https://management.chinacloudapi.cn/",
        }
    }

    /// The scope an ARM token is asked for.
    pub fn scope(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/.default",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net/.default",
            Cloud::China => "https://management.chinacloudapi.cn/.default",
        }
    }
}

/// One agent pool of one AKS cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRef {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    pub pool: String,
}

impl PoolRef {
    /// The pool's ARM resource id.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}/agentPools/{}",
            self.subscription, self.resource_group, self.cluster, self.pool
        )
    }

    /// The cluster's ARM resource id (the scope of a role assignment).
    pub fn cluster_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerService/managedClusters/{}",
            self.subscription, self.resource_group, self.cluster
        )
    }
}

impl fmt::Display for PoolRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "agent pool {} of AKS cluster {} (resource group {}, subscription {})",
            self.pool, self.cluster, self.resource_group, self.subscription
        )
    }
}

/// An agent pool as ARM answers `AgentPools_Get`: the fields kfscale reads, and the whole answer
/// (`raw`), which a PUT sends back with only the size changed.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentPool {
    /// The node count asked for last (ARM shows a PUT's count at once, while it runs).
    pub count: u32,
    pub enable_auto_scaling: bool,
    pub min_count: Option<u32>,
    pub max_count: Option<u32>,
    /// Succeeded, Updating, Scaling, Creating, Failed, ...
    pub provisioning_state: String,
    pub vm_size: String,
    /// `System` or `User`.
    pub mode: String,
    /// Zones of the region the pool spreads over (`1`, `2`, `3`); empty for none.
    pub availability_zones: Vec<String>,
    pub node_labels: BTreeMap<String, String>,
    /// `key=value:Effect`.
    pub node_taints: Vec<String>,
    /// The optimistic-concurrency tag of the version read, when the API version has one.
    pub etag: Option<String>,
    pub raw: Value,
}

impl AgentPool {
    pub fn from_json(raw: Value) -> Result<AgentPool, String> {
        let properties = raw
            .get("properties")
            .and_then(Value::as_object)
            .ok_or("the answer has no properties object")?;
        let number = |key: &str| -> Result<Option<u32>, String> {
            match properties.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => value
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| format!("properties.{key} is not a count: {value}")),
            }
        };
        let text = |key: &str| {
            properties
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let strings = |key: &str| -> Vec<String> {
            properties
                .get(key)
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default()
        };
        Ok(AgentPool {
            count: number("count")?.ok_or("properties.count is missing")?,
            enable_auto_scaling: properties
                .get("enableAutoScaling")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            min_count: number("minCount")?,
            max_count: number("maxCount")?,
            provisioning_state: text("provisioningState"),
            vm_size: text("vmSize"),
            mode: text("mode"),
            availability_zones: strings("availabilityZones"),
            node_labels: properties
                .get("nodeLabels")
                .and_then(Value::as_object)
                .map(|labels| {
                    labels
                        .iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            node_taints: strings("nodeTaints"),
            etag: properties.get("eTag").and_then(Value::as_str).map(str::to_string),
            raw,
        })
    }

    /// No operation runs on it.
    pub fn is_settled(&self) -> bool {
        matches!(self.provisioning_state.as_str(), "Succeeded" | "Failed" | "Canceled")
    }
}

/// An accepted PUT: the pool as ARM shows it now, and the URL to follow the operation at.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub pool: AgentPool,
    /// The `Azure-AsyncOperation` URL; None when the PUT finished at once (ARM may answer so).
    pub async_operation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationState {
    InProgress,
    Succeeded,
    Failed,
    Canceled,
}

/// ARM's status of an asynchronous operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationStatus {
    pub state: OperationState,
    /// ARM's own word for it (InProgress, Succeeded, Failed, Canceled, or an RP-specific running state).
    pub status: String,
    /// `error.code` and `error.message` of a Failed or Canceled operation.
    pub error: Option<(String, String)>,
}

impl OperationStatus {
    pub fn from_json(value: &Value) -> Result<OperationStatus, String> {
        let status = value
            .get("status")
            .and_then(Value::as_str)
            .ok_or("the answer has no status")?
            .to_string();
        // ARM: Succeeded, Failed and Canceled are terminal; any other value means still running.
        let state = match status.to_ascii_lowercase().as_str() {
            "succeeded" => OperationState::Succeeded,
            "failed" => OperationState::Failed,
            "canceled" | "cancelled" => OperationState::Canceled,
            _ => OperationState::InProgress,
        };
        let error = value.get("error").filter(|e| e.is_object()).map(|e| {
            let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            (field("code"), field("message"))
        });
        Ok(OperationStatus { state, status, error })
    }

    pub fn is_done(&self) -> bool {
        self.state != OperationState::InProgress
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_pool_is_read_from_arms_answer() {
        let pool = AgentPool::from_json(json!({"name": "kfuse", "properties": {
            "count": 3, "vmSize": "Standard_D8s_v5", "enableAutoScaling": true, "minCount": 1, "maxCount": 6,
            "provisioningState": "Succeeded", "availabilityZones": ["1", "2"], "mode": "User",
            "nodeLabels": {"kf_role": "data"}, "nodeTaints": ["a=b:NoSchedule"], "eTag": "e1"}}))
        .unwrap();
        assert_eq!((pool.count, pool.min_count, pool.max_count), (3, Some(1), Some(6)));
        assert!(pool.enable_auto_scaling && pool.is_settled());
        assert_eq!(pool.etag.as_deref(), Some("e1"));
        assert!(AgentPool::from_json(json!({"properties": {"count": -1}})).is_err());
        assert!(AgentPool::from_json(json!({})).is_err());
    }

    #[test]
    fn operation_states_follow_arms_terminal_words() {
        let status = |s: &str| OperationStatus::from_json(&json!({"status": s})).unwrap().state;
        assert_eq!(status("InProgress"), OperationState::InProgress);
        assert_eq!(status("Scaling"), OperationState::InProgress);
        assert_eq!(status("Succeeded"), OperationState::Succeeded);
        assert_eq!(status("Canceled"), OperationState::Canceled);
        let failed = OperationStatus::from_json(
            &json!({"status": "Failed", "error": {"code": "QuotaExceeded", "message": "m"}}),
        )
        .unwrap();
        assert_eq!(failed.error, Some(("QuotaExceeded".into(), "m".into())));
    }
}
