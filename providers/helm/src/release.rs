//! The parts of Helm's JSON output kfscale reads.
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HistoryEntry {
    pub revision: u32,
    pub status: String,
    /// `name-version`, e.g. `kfuse-3.4.1`.
    pub chart: String,
    #[serde(default)]
    pub app_version: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatus {
    pub name: String,
    pub namespace: String,
    pub revision: u32,
    pub status: String,
    pub chart: String,
    pub chart_version: String,
    pub app_version: String,
}

#[derive(Deserialize)]
struct StatusJson {
    name: String,
    namespace: String,
    version: u32,
    info: Info,
    #[serde(default)]
    chart: Option<Chart>,
}

#[derive(Deserialize)]
struct Info {
    status: String,
}

#[derive(Deserialize)]
struct Chart {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    version: String,
    #[serde(default, rename = "appVersion")]
    app_version: String,
}

pub fn parse_status(text: &str) -> Result<ReleaseStatus, String> {
    let status: StatusJson = serde_json::from_str(text).map_err(|err| err.to_string())?;
    let chart = status.chart.map(|c| c.metadata);
    Ok(ReleaseStatus {
        name: status.name,
        namespace: status.namespace,
        revision: status.version,
        status: status.info.status,
        chart: chart.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
        chart_version: chart.as_ref().map(|m| m.version.clone()).unwrap_or_default(),
        app_version: chart.map(|m| m.app_version).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_helm_3_status_json() {
        let text = r#"{"name":"kfuse","info":{"first_deployed":"2026-11-01T00:00:00Z","status":"deployed"},
            "chart":{"metadata":{"name":"kfuse","version":"3.4.1","appVersion":"3.4.1"}},"version":14,"namespace":"kfuse"}"#;
        let status = parse_status(text).unwrap();
        assert_eq!(
            (status.revision, status.status.as_str(), status.chart_version.as_str()),
            (14, "deployed", "3.4.1")
        );
    }
}
