//! Instances (PinotInstanceRestletResource): the list, one instance with its tags, the live ones,
//! and the tag update a new server needs before a rebalance gives it segments.
use serde::Deserialize;

use crate::client::{Call, Endpoint, Pinot, get};
use crate::error::PinotError;

/// One instance as `GET /instances/{name}` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// `Server_<host>_<port>`, `Broker_...`, `Controller_...`, `Minion_...`.
    pub name: String,
    pub host: String,
    pub port: String,
    pub enabled: bool,
    pub tags: Vec<String>,
}

impl Instance {
    pub fn instance_type(&self) -> &'static str {
        instance_type(&self.name)
    }
}

/// SERVER, BROKER, CONTROLLER or MINION from the name's prefix (Pinot's InstanceTypeUtils), else UNKNOWN.
pub fn instance_type(name: &str) -> &'static str {
    match name.split_once('_').map(|(prefix, _)| prefix) {
        Some("Server") => "SERVER",
        Some("Broker") => "BROKER",
        Some("Controller") => "CONTROLLER",
        Some("Minion") => "MINION",
        _ => "UNKNOWN",
    }
}

#[derive(Deserialize)]
struct InstanceList {
    instances: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInstance {
    instance_name: String,
    #[serde(default)]
    host_name: String,
    #[serde(default)]
    port: serde_json::Value,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

impl Pinot {
    /// `GET /instances`: every registered instance name, sorted.
    pub async fn instances(&self) -> Result<Vec<String>, PinotError> {
        self.instance_list(get("/instances"), &["instances"]).await
    }

    /// `GET /liveinstances`: the instances connected now, sorted.
    pub async fn live_instances(&self) -> Result<Vec<String>, PinotError> {
        self.instance_list(get("/liveinstances"), &["liveinstances"]).await
    }

    /// `GET /instances/{name}`: the instance with its tags and whether it is enabled.
    pub async fn instance(&self, name: &str) -> Result<Instance, PinotError> {
        let call = Call {
            endpoint: get("/instances/{instance}"),
            segments: &["instances", name],
            query: &[],
        };
        let raw: RawInstance = self.json(&call).await?;
        let mut tags = raw.tags.unwrap_or_default();
        tags.sort();
        Ok(Instance {
            name: raw.instance_name,
            host: raw.host_name,
            port: match raw.port {
                serde_json::Value::String(port) => port,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            },
            enabled: raw.enabled,
            tags,
        })
    }

    /// `PUT /instances/{name}/updateTags?tags=a,b`: replaces the instance's tags.
    pub async fn update_tags(&self, name: &str, tags: &[String]) -> Result<(), PinotError> {
        let joined = tags.join(",");
        let call = Call {
            endpoint: Endpoint {
                method: "PUT",
                template: "/instances/{instance}/updateTags",
            },
            segments: &["instances", name, "updateTags"],
            query: &[("tags", &joined)],
        };
        self.text(&call).await.map(|_| ())
    }

    async fn instance_list(&self, endpoint: Endpoint, segments: &[&str]) -> Result<Vec<String>, PinotError> {
        let call = Call {
            endpoint,
            segments,
            query: &[],
        };
        let mut list: InstanceList = self.json(&call).await?;
        list.instances.sort();
        Ok(list.instances)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_name() {
        assert_eq!(
            instance_type("Server_pinot-server-realtime-0.pinot-server-realtime-headless.kfuse.svc.cluster.local_8098"),
            "SERVER"
        );
        assert_eq!(instance_type("Broker_b_8099"), "BROKER");
        assert_eq!(instance_type("Minion_m_9514"), "MINION");
        assert_eq!(instance_type("Controller_c_9000"), "CONTROLLER");
        assert_eq!(instance_type("something"), "UNKNOWN");
    }
}
