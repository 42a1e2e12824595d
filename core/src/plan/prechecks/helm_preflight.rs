//! `helm-preflight`: whether the Helm step can succeed, proven before anything changes. Only a live
//! cluster can answer (the chart is pulled from the operator's registry and the API server judges
//! the rendered upgrade), so the edge runs helm and hands the outcome here as data; this turns it
//! into the pre-check line, the same in `plan` and in `apply`'s refusal.
use super::{PreCheck, fail, pass};

/// The id of the pre-check.
pub const HELM_PREFLIGHT: &str = "helm-preflight";

/// What the edge found when it tried the Helm step without changing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelmPreflight {
    /// The chart pulled at the pinned version and `helm upgrade --dry-run=server` with the planned
    /// values was accepted.
    Passed { chart: String, version: String },
    /// `helm pull` failed: the chart or its version is missing, or the registry refused the login.
    NotPulled {
        chart: String,
        version: String,
        /// helm's error, with its own `fix:`.
        error: String,
    },
    /// helm or the API server refused the dry run (a template error, a kind or API version the
    /// server does not serve, an invalid object).
    Rejected {
        chart: String,
        version: String,
        error: String,
    },
    /// It could not be tried at all (no helm, no `helm.chart`, the values could not be written).
    NotRun { reason: String, fix: String },
}

impl HelmPreflight {
    pub fn passed(&self) -> bool {
        matches!(self, HelmPreflight::Passed { .. })
    }
}

/// The pre-check line for `outcome`: pass, or fail with helm's error and the way out.
pub fn helm_preflight(outcome: &HelmPreflight) -> PreCheck {
    let id = HELM_PREFLIGHT;
    match outcome {
        HelmPreflight::Passed { chart, version } => pass(
            id,
            format!(
                "chart {chart} {version} pulls, and `helm upgrade --dry-run=server` with the planned values is accepted"
            ),
        ),
        HelmPreflight::NotPulled { chart, version, error } => fail(
            id,
            format!("chart {chart} {version} cannot be pulled: {error}"),
            "make the chart at exactly this version pullable with the credentials kfscale runs with (helm.chart in kfscale.yaml, `helm registry login`, helm.plain_http), then plan again",
        ),
        HelmPreflight::Rejected { chart, version, error } => fail(
            id,
            format!(
                "`helm upgrade --dry-run=server` of chart {chart} {version} with the planned values was refused: {error}"
            ),
            "fix what the error names (the chart, the values file or the cluster), then plan again; nothing was changed",
        ),
        HelmPreflight::NotRun { reason, fix } => {
            fail(id, format!("the Helm pre-flight could not run: {reason}"), fix.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CheckStatus;

    fn outcome(kind: &str) -> HelmPreflight {
        let (chart, version) = ("oci://r/kfuse".to_string(), "3.4.0".to_string());
        match kind {
            "passed" => HelmPreflight::Passed { chart, version },
            "pull" => HelmPreflight::NotPulled {
                chart,
                version,
                error: "not found".into(),
            },
            "rejected" => HelmPreflight::Rejected {
                chart,
                version,
                error: "no matches for kind".into(),
            },
            _ => HelmPreflight::NotRun {
                reason: "helm.chart is not set".into(),
                fix: "set it".into(),
            },
        }
    }

    #[test]
    fn only_a_pulled_and_accepted_upgrade_passes() {
        for (kind, status) in [
            ("passed", CheckStatus::Pass),
            ("pull", CheckStatus::Fail),
            ("rejected", CheckStatus::Fail),
            ("not run", CheckStatus::Fail),
        ] {
            let outcome = outcome(kind);
            let check = helm_preflight(&outcome);
            assert_eq!((check.id.as_str(), check.status), (HELM_PREFLIGHT, status), "{kind}");
            assert_eq!(outcome.passed(), status == CheckStatus::Pass);
            assert_eq!(
                check.fix.is_empty(),
                status == CheckStatus::Pass,
                "{kind}: a failure says what to do"
            );
        }
    }

    #[test]
    fn a_failure_carries_helms_error_and_names_the_chart_and_version() {
        let check = helm_preflight(&outcome("rejected"));
        assert!(check.message.contains("oci://r/kfuse 3.4.0"), "{}", check.message);
        assert!(check.message.contains("no matches for kind"), "{}", check.message);
        let check = helm_preflight(&outcome("pull"));
        assert!(
            check.message.contains("cannot be pulled: not found"),
            "{}",
            check.message
        );
    }
}
