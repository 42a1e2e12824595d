//! The table config JSON of `GET /tables/{t}` (TableConfig.toJsonNode), with what kfscale reads:
//! `tableName`, `tableType`, `tenants.server`, `segmentsConfig.replication` (a string, as in Pinot).
use serde_json::{Value, json};

use super::cluster::Table;
use super::names::{TableType, raw_name};

pub fn table_config(table: &Table) -> Value {
    let raw = raw_name(&table.name);
    // No `schemaName`: current Pinot dropped it from SegmentsValidationAndRetentionConfig.
    let replication = table.replication.to_string();
    let mut segments = json!({
        "timeColumnName": "timestamp",
        "retentionTimeUnit": "DAYS",
        "retentionTimeValue": "7",
        "replication": replication,
        "minimizeDataMovement": false,
    });
    let mut config = json!({
        "tableName": table.name,
        "tableType": table.table_type.name(),
        "segmentsConfig": segments.clone(),
        "tenants": {"broker": table.broker_tenant, "server": table.server_tenant},
        "tableIndexConfig": {"loadMode": "MMAP", "invertedIndexColumns": [], "noDictionaryColumns": [], "sortedColumn": []},
        "metadata": {"customConfigs": {}},
        "isDimTable": false,
    });
    if table.table_type == TableType::Realtime {
        // Realtime configs written by older tooling carry the deprecated replicasPerPartition too.
        segments["replicasPerPartition"] = json!(replication);
        config["segmentsConfig"] = segments;
        config["ingestionConfig"] = json!({
            "streamIngestionConfig": {"streamConfigMaps": [{
                "streamType": "kafka",
                "stream.kafka.topic.name": format!("{raw}_topic"),
                "stream.kafka.broker.list": "kafka:9092",
                "stream.kafka.consumer.type": "lowlevel",
                "realtime.segment.flush.threshold.rows": "0",
                "realtime.segment.flush.threshold.segment.size": "200M"
            }]}
        });
    }
    config
}
