//! Picks the Pinot rebalance parameter set for the installed chart version.
use super::ParameterSet;

/// The first set whose `chart_versions` range contains `chart_version`.
pub fn select_parameter_set<'a>(sets: &'a [ParameterSet], chart_version: &str) -> Option<&'a ParameterSet> {
    let version = semver::Version::parse(chart_version.trim_start_matches('v')).ok()?;
    sets.iter()
        .find(|set| semver::VersionReq::parse(&set.chart_versions).is_ok_and(|range| range.matches(&version)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn selects_by_chart_version() {
        let profile = Profile::builtin("kraft").unwrap();
        let sets = &profile.pinot.parameter_sets;
        assert_eq!(select_parameter_set(sets, "3.4.1").unwrap().name, "runbook-2024");
        assert_eq!(select_parameter_set(sets, "3.5.0").unwrap().name, "runbook-2025-12");
        assert_eq!(select_parameter_set(sets, "v3.6.2").unwrap().name, "runbook-2025-12");
        assert!(select_parameter_set(sets, "not-a-version").is_none());
    }
}
