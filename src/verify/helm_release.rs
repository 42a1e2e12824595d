//! `helm-release`: the release's newest record (Helm's own Secret, no helm binary) is `deployed`,
//! at the chart version the last apply planned when there is one.
use kfscale_kube::HelmReleaseRecord;

use super::check::Check;

pub fn check(release: &str, record: Option<&HelmReleaseRecord>, expected_version: Option<&str>) -> Check {
    let Some(record) = record else {
        return Check::red("helm-release", format!("no Helm release {release} in the namespace"))
            .fix("check helm.release and kubernetes.namespace in kfscale.yaml");
    };
    let seen = format!(
        "release {} revision {} {}, chart {} {}",
        record.name, record.revision, record.status, record.chart, record.chart_version
    );
    if record.status != "deployed" {
        return Check::red("helm-release", format!("release {} is {}", record.name, record.status))
            .evidence([seen])
            .fix(if record.status.starts_with("pending-") {
                format!(
                    "another Helm operation is stuck: `helm rollback {} {}` to the last deployed revision, then run `kfscale apply` again",
                    record.name,
                    record.revision.saturating_sub(1)
                )
            } else {
                "read `helm history` for why the last revision failed".to_string()
            });
    }
    match expected_version {
        Some(expected) if expected != record.chart_version => Check::red(
            "helm-release",
            format!(
                "chart {} runs, the last apply planned {expected}",
                record.chart_version
            ),
        )
        .evidence([seen])
        .fix("someone upgraded or rolled back the release since the apply: find out who (`helm history`) before planning again"),
        Some(expected) => Check::green("helm-release", format!("{seen} (the version the last apply pinned: {expected})")),
        None => Check::green("helm-release", format!("{seen} (no apply recorded to compare the version with)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Status;

    fn record(status: &str, version: &str) -> HelmReleaseRecord {
        HelmReleaseRecord {
            name: "kfuse".into(),
            namespace: "kfuse".into(),
            revision: 4,
            status: status.into(),
            chart: "kfuse".into(),
            chart_version: version.into(),
            app_version: String::new(),
            user_values: serde_json::Value::Null,
            chart_values: serde_json::Value::Null,
        }
    }

    #[test]
    fn deployed_at_the_planned_version_is_green() {
        assert_eq!(
            check("kfuse", Some(&record("deployed", "3.4.0")), Some("3.4.0")).status,
            Status::Green
        );
        let moved = check("kfuse", Some(&record("deployed", "3.4.1")), Some("3.4.0"));
        assert_eq!(moved.status, Status::Red);
        assert_eq!(moved.summary, "chart 3.4.1 runs, the last apply planned 3.4.0");
        let stuck = check("kfuse", Some(&record("pending-upgrade", "3.4.0")), None);
        assert!(stuck.fix.contains("helm rollback kfuse 3"), "{stuck:?}");
        assert_eq!(check("kfuse", None, None).status, Status::Red);
    }
}
