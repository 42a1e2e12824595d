//! Which Helm release is the Kloudfuse install: the one of chart `kfuse` (or the one `--release`
//! names), found among the releases' own records.
use anyhow::bail;
use kfscale_kube::HelmReleaseRecord;

/// The name of Kloudfuse's chart (`oci://<registry>/kfuse-helm/kfuse`).
pub const KLOUDFUSE_CHART: &str = "kfuse";

/// The one Kloudfuse release among `records` (of `namespace`, or of every namespace when None).
pub fn choose<'r>(
    records: &'r [HelmReleaseRecord],
    namespace: Option<&str>,
    release: Option<&str>,
) -> anyhow::Result<&'r HelmReleaseRecord> {
    let picked: Vec<&HelmReleaseRecord> = records
        .iter()
        .filter(|r| match release {
            Some(name) => r.name == name,
            None => r.chart == KLOUDFUSE_CHART,
        })
        .collect();
    let place = namespace.map_or("any namespace".to_string(), |ns| format!("namespace {ns}"));
    let list = |records: &[&HelmReleaseRecord]| -> String {
        records
            .iter()
            .map(|r| format!("{}/{} (chart {} {})", r.namespace, r.name, r.chart, r.chart_version))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match picked.as_slice() {
        [one] => Ok(one),
        [] => {
            let all: Vec<&HelmReleaseRecord> = records.iter().collect();
            let wanted = match release {
                Some(name) => format!("no Helm release `{name}`"),
                None => format!("no Helm release of the Kloudfuse chart `{KLOUDFUSE_CHART}`"),
            };
            let seen = match all.is_empty() {
                true => "there is no Helm release there at all".to_string(),
                false => format!("the releases there: {}", list(&all)),
            };
            bail!(
                "{wanted} in {place} of this context ({seen}); fix: pass -n NAMESPACE of the Kloudfuse install (and --release NAME if its chart has another name), or --context of the right cluster"
            )
        }
        many => bail!(
            "{} Kloudfuse releases in {place}: {}; fix: pass -n NAMESPACE (and --release NAME) to choose one",
            many.len(),
            list(many)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(namespace: &str, name: &str, chart: &str) -> HelmReleaseRecord {
        HelmReleaseRecord {
            name: name.into(),
            namespace: namespace.into(),
            revision: 1,
            status: "deployed".into(),
            chart: chart.into(),
            chart_version: "3.4.1".into(),
            app_version: "3.4.1".into(),
            user_values: serde_json::json!({}),
            chart_values: serde_json::Value::Null,
        }
    }

    #[test]
    fn the_kloudfuse_chart_is_found_among_others_and_two_are_refused() {
        let records = [
            record("kfuse", "kfuse", "kfuse"),
            record("mon", "prom", "kube-prometheus-stack"),
        ];
        assert_eq!(choose(&records, None, None).unwrap().namespace, "kfuse");
        assert_eq!(choose(&records, None, Some("prom")).unwrap().name, "prom");
        let err = choose(&records[1..], Some("mon"), None).unwrap_err().to_string();
        assert!(
            err.contains("no Helm release of the Kloudfuse chart `kfuse` in namespace mon") && err.contains("mon/prom"),
            "{err}"
        );
        let two = [record("a", "kfuse", "kfuse"), record("b", "kfuse", "kfuse")];
        let err = choose(&two, None, None).unwrap_err().to_string();
        assert!(
            err.contains("2 Kloudfuse releases in any namespace: a/kfuse") && err.contains("-n NAMESPACE"),
            "{err}"
        );
    }
}
