//! Helm's release record: Secret `sh.helm.release.v1.<release>.v<N>`, key `release`, holding
//! base64(gzip(JSON)) (on top of the Secret's own base64, which the API client already removed).
use std::io::Read;

use base64::Engine;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq)]
pub struct HelmReleaseRecord {
    pub name: String,
    pub namespace: String,
    pub revision: u32,
    pub status: String,
    pub chart: String,
    pub chart_version: String,
    pub app_version: String,
    /// The user-supplied values (`config`), as Helm stored them.
    pub user_values: serde_json::Value,
    /// The chart's default values (`chart.values`): what a key the user values leave out is.
    pub chart_values: serde_json::Value,
}

#[derive(Deserialize)]
struct Record {
    name: String,
    namespace: String,
    version: u32,
    info: Info,
    chart: Chart,
    #[serde(default)]
    config: serde_json::Value,
}

#[derive(Deserialize)]
struct Info {
    status: String,
}

#[derive(Deserialize)]
struct Chart {
    metadata: Metadata,
    #[serde(default)]
    values: serde_json::Value,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    version: String,
    #[serde(default, rename = "appVersion")]
    app_version: String,
}

/// Helm's gzip magic; older Helm versions stored plain JSON.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

pub fn decode_release(payload: &[u8]) -> Result<HelmReleaseRecord, String> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|err| format!("base64: {err}"))?;
    let json = if decoded.starts_with(&GZIP_MAGIC) {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&decoded[..])
            .read_to_end(&mut text)
            .map_err(|err| format!("gzip: {err}"))?;
        text
    } else {
        decoded
    };
    let record: Record = serde_json::from_slice(&json).map_err(|err| format!("JSON: {err}"))?;
    Ok(HelmReleaseRecord {
        name: record.name,
        namespace: record.namespace,
        revision: record.version,
        status: record.info.status,
        chart: record.chart.metadata.name,
        chart_version: record.chart.metadata.version,
        app_version: record.chart.metadata.app_version,
        user_values: if record.config.is_null() {
            serde_json::json!({})
        } else {
            record.config
        },
        chart_values: if record.chart.values.is_null() {
            serde_json::json!({})
        } else {
            record.chart.values
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decodes_gzip_and_plain_records() {
        let json = br#"{"name":"kfuse","namespace":"kfuse","version":3,"info":{"status":"deployed"},
            "chart":{"metadata":{"name":"kfuse","version":"3.4.1","appVersion":"3.4.1"},"values":{"a":0,"b":2}},"config":{"a":1}}"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(json).unwrap();
        let payload = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        let record = decode_release(payload.as_bytes()).unwrap();
        assert_eq!((record.revision, record.chart_version.as_str()), (3, "3.4.1"));
        assert_eq!(record.user_values, serde_json::json!({"a": 1}));
        assert_eq!(record.chart_values, serde_json::json!({"a": 0, "b": 2}));
        let plain = base64::engine::general_purpose::STANDARD.encode(json);
        assert_eq!(decode_release(plain.as_bytes()).unwrap(), record);
        assert!(decode_release(b"!!!").unwrap_err().starts_with("base64"));
    }
}
