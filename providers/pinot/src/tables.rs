//! Tables: the list, their configs (type, tenants, replication), segment status, ideal state and
//! external view (PinotTableRestletResource, TableViews).
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use crate::client::{Call, Pinot, get};
use crate::error::PinotError;

/// Pinot's default tenant, used when a table config names none (TenantConfig).
pub const DEFAULT_TENANT: &str = "DefaultTenant";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableType {
    Offline,
    Realtime,
}

impl TableType {
    pub const ALL: [TableType; 2] = [TableType::Offline, TableType::Realtime];

    pub fn as_str(self) -> &'static str {
        match self {
            TableType::Offline => "OFFLINE",
            TableType::Realtime => "REALTIME",
        }
    }

    pub fn parse(text: &str) -> Option<TableType> {
        match text.to_ascii_uppercase().as_str() {
            "OFFLINE" => Some(TableType::Offline),
            "REALTIME" => Some(TableType::Realtime),
            _ => None,
        }
    }

    /// The type a name with type suffix carries (`kf_metrics_REALTIME`), if any.
    pub fn of(name: &str) -> Option<TableType> {
        TableType::ALL
            .into_iter()
            .find(|kind| name.ends_with(&format!("_{}", kind.as_str())))
    }

    /// `kf_metrics` -> `kf_metrics_REALTIME` (TableNameBuilder: a name that has the suffix keeps it).
    pub fn with_type(self, table: &str) -> String {
        let raw = raw_table_name(table);
        format!("{raw}_{}", self.as_str())
    }
}

/// `kf_metrics_REALTIME` -> `kf_metrics`; a raw name stays as it is.
pub fn raw_table_name(name: &str) -> &str {
    TableType::ALL
        .into_iter()
        .find_map(|kind| name.strip_suffix(&format!("_{}", kind.as_str())))
        .unwrap_or(name)
}

/// What kfscale reads of a table config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableConfig {
    /// With type suffix, e.g. `kf_metrics_REALTIME`.
    pub name: String,
    pub table_type: TableType,
    pub server_tenant: String,
    pub broker_tenant: String,
    /// `TableConfig.getReplication()`: for REALTIME the larger of `replication` and the deprecated
    /// `replicasPerPartition`.
    pub replication: u32,
}

impl TableConfig {
    /// The tag of the servers the table's segments go to: `<tenant>_REALTIME` / `<tenant>_OFFLINE`.
    pub fn server_tag(&self) -> String {
        format!("{}_{}", self.server_tenant, self.table_type.as_str())
    }

    /// The tag of the brokers serving the table: `<tenant>_BROKER`.
    pub fn broker_tag(&self) -> String {
        format!("{}_BROKER", self.broker_tenant)
    }
}

/// Segment counts by `segmentStatus` of `GET /tables/{t}/segmentsStatus`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentStatusCounts {
    pub good: u32,
    pub bad: u32,
    pub updating: u32,
    /// Statuses this client does not know (a newer Pinot).
    pub other: u32,
}

/// segment -> instance -> state (ONLINE, CONSUMING, OFFLINE, ERROR, DROPPED).
pub type SegmentStates = BTreeMap<String, BTreeMap<String, String>>;

/// An ideal state or external view, per table type (absent when the table has no such type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableView {
    pub offline: Option<SegmentStates>,
    pub realtime: Option<SegmentStates>,
}

impl TableView {
    pub fn of_type(&self, table_type: TableType) -> Option<&SegmentStates> {
        match table_type {
            TableType::Offline => self.offline.as_ref(),
            TableType::Realtime => self.realtime.as_ref(),
        }
    }

    /// Instances holding at least one replica that serves (ONLINE or CONSUMING), sorted.
    pub fn serving_instances(&self, table_type: TableType) -> BTreeSet<String> {
        self.of_type(table_type)
            .into_iter()
            .flat_map(|segments| segments.values())
            .flat_map(|replicas| replicas.iter())
            .filter(|(_, state)| matches!(state.as_str(), "ONLINE" | "CONSUMING"))
            .map(|(instance, _)| instance.clone())
            .collect()
    }
}

#[derive(Deserialize)]
struct TableList {
    tables: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTableConfig {
    table_name: String,
    table_type: String,
    #[serde(default)]
    segments_config: RawSegmentsConfig,
    #[serde(default)]
    tenants: RawTenants,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawSegmentsConfig {
    #[serde(default)]
    replication: Option<Value>,
    #[serde(default)]
    replicas_per_partition: Option<Value>,
}

#[derive(Deserialize, Default)]
struct RawTenants {
    #[serde(default)]
    broker: Option<String>,
    #[serde(default)]
    server: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SegmentStatus {
    segment_status: String,
}

#[derive(Deserialize)]
struct RawTableView {
    #[serde(rename = "OFFLINE", default)]
    offline: Option<SegmentStates>,
    #[serde(rename = "REALTIME", default)]
    realtime: Option<SegmentStates>,
}

impl Pinot {
    /// `GET /health`: the controller answers `OK`.
    pub async fn health(&self) -> Result<(), PinotError> {
        let call = Call {
            endpoint: get("/health"),
            segments: &["health"],
            query: &[],
        };
        let body = self.text(&call).await?;
        if body.trim() == "OK" {
            Ok(())
        } else {
            Err(PinotError::Http {
                call: "GET /health".into(),
                status: 200,
                message: format!("the controller says {:?}, not OK", body.trim()),
                fix: "check the pinot-controller pods and their logs".into(),
            })
        }
    }

    /// `GET /tables`: the raw table names, sorted.
    pub async fn tables(&self) -> Result<Vec<String>, PinotError> {
        let call = Call {
            endpoint: get("/tables"),
            segments: &["tables"],
            query: &[],
        };
        let mut list: TableList = self.json(&call).await?;
        list.tables.sort();
        list.tables.dedup();
        Ok(list.tables)
    }

    /// `GET /tables/{table}`: the configs of every type the table has (OFFLINE first).
    pub async fn table_configs(&self, table: &str) -> Result<Vec<TableConfig>, PinotError> {
        let call = Call {
            endpoint: get("/tables/{table}"),
            segments: &["tables", table],
            query: &[],
        };
        let by_type: BTreeMap<String, RawTableConfig> = self.table_json(&call, table).await?;
        let mut configs = Vec::new();
        for (key, raw) in by_type {
            let table_type = TableType::parse(&raw.table_type)
                .or_else(|| TableType::parse(&key))
                .ok_or_else(|| PinotError::Decode {
                    call: format!("GET /tables/{table}"),
                    base: self.base_url().to_string(),
                    message: format!("unknown tableType {:?}", raw.table_type),
                })?;
            configs.push(TableConfig {
                replication: replication(&raw.segments_config, table_type),
                name: table_type.with_type(&raw.table_name),
                table_type,
                server_tenant: raw.tenants.server.unwrap_or_else(|| DEFAULT_TENANT.into()),
                broker_tenant: raw.tenants.broker.unwrap_or_else(|| DEFAULT_TENANT.into()),
            });
        }
        configs.sort_by_key(|config| config.table_type);
        Ok(configs)
    }

    /// `GET /tables/{table}/segmentsStatus?tableType=`: counts of GOOD, BAD and UPDATING segments.
    pub async fn segments_status(&self, table: &str, table_type: TableType) -> Result<SegmentStatusCounts, PinotError> {
        let raw = raw_table_name(table);
        let call = Call {
            endpoint: get("/tables/{table}/segmentsStatus"),
            segments: &["tables", raw, "segmentsStatus"],
            query: &[("tableType", table_type.as_str())],
        };
        let statuses: Vec<SegmentStatus> = self.table_json(&call, &table_type.with_type(raw)).await?;
        let mut counts = SegmentStatusCounts::default();
        for status in statuses {
            match status.segment_status.as_str() {
                "GOOD" => counts.good += 1,
                "BAD" => counts.bad += 1,
                "UPDATING" => counts.updating += 1,
                _ => counts.other += 1,
            }
        }
        Ok(counts)
    }

    /// `GET /tables/{table}/externalview`: what the servers report, for both types in one call.
    pub async fn external_view(&self, table: &str) -> Result<TableView, PinotError> {
        self.view(table, "externalview").await
    }

    /// `GET /tables/{table}/idealstate`: what the controller wants, for both types in one call.
    pub async fn ideal_state(&self, table: &str) -> Result<TableView, PinotError> {
        self.view(table, "idealstate").await
    }

    /// `which` is `idealstate` or `externalview`; a table name with type asks for that type only.
    async fn view(&self, table: &str, which: &'static str) -> Result<TableView, PinotError> {
        let raw = raw_table_name(table);
        let endpoint = if which == "idealstate" {
            get("/tables/{table}/idealstate")
        } else {
            get("/tables/{table}/externalview")
        };
        let type_query: Vec<(&str, &str)> = TableType::of(table)
            .map(|kind| ("tableType", kind.as_str()))
            .into_iter()
            .collect();
        let call = Call {
            endpoint,
            segments: &["tables", raw, which],
            query: &type_query,
        };
        let view: RawTableView = self.table_json(&call, table).await?;
        Ok(TableView {
            offline: view.offline,
            realtime: view.realtime,
        })
    }
}

fn replication(config: &RawSegmentsConfig, table_type: TableType) -> u32 {
    let number = |value: &Option<Value>| -> u32 {
        match value {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
            _ => 0,
        }
    };
    let replication = number(&config.replication);
    let per_partition = match table_type {
        TableType::Realtime => number(&config.replicas_per_partition),
        TableType::Offline => 0,
    };
    replication.max(per_partition).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        assert_eq!(raw_table_name("kf_metrics_REALTIME"), "kf_metrics");
        assert_eq!(raw_table_name("kf_metrics"), "kf_metrics");
        assert_eq!(
            TableType::Realtime.with_type("kf_metrics_REALTIME"),
            "kf_metrics_REALTIME"
        );
        assert_eq!(TableType::of("kf_logs_OFFLINE"), Some(TableType::Offline));
        assert_eq!(TableType::of("kf_logs"), None);
    }

    #[test]
    fn replication_takes_the_deprecated_realtime_key_too() {
        let config = RawSegmentsConfig {
            replication: Some(Value::String("1".into())),
            replicas_per_partition: Some(Value::String("2".into())),
        };
        assert_eq!(replication(&config, TableType::Realtime), 2);
        assert_eq!(replication(&config, TableType::Offline), 1);
        assert_eq!(replication(&RawSegmentsConfig::default(), TableType::Offline), 1);
    }

    #[test]
    fn serving_instances_skip_offline_and_error_replicas() {
        let mut segments = SegmentStates::new();
        segments.insert(
            "s1".into(),
            [("a", "ONLINE"), ("b", "ERROR")]
                .into_iter()
                .map(|(i, s)| (i.to_string(), s.to_string()))
                .collect(),
        );
        segments.insert(
            "s2".into(),
            [("c", "CONSUMING"), ("d", "OFFLINE")]
                .into_iter()
                .map(|(i, s)| (i.to_string(), s.to_string()))
                .collect(),
        );
        let view = TableView {
            offline: None,
            realtime: Some(segments),
        };
        assert_eq!(
            view.serving_instances(TableType::Realtime)
                .into_iter()
                .collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert!(view.serving_instances(TableType::Offline).is_empty());
    }
}
