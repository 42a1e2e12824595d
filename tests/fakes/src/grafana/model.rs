//! The rules and their alert instances. Grafana evaluates each rule into instances whose state is
//! one of `eval.State`'s names; the listing derives a rule's `state` and `health` from them.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `eval.State` as Grafana prints it (`string(alertState.State)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceState {
    Normal,
    Alerting,
    Pending,
    NoData,
    Error,
}

/// The seed: rule groups by folder, as a Kloudfuse install provisions them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    pub groups: Vec<GroupSeed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSeed {
    /// The folder's title (the listing's `file`).
    pub folder: String,
    pub name: String,
    #[serde(default = "default_interval")]
    pub interval_seconds: u64,
    pub rules: Vec<RuleSeed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSeed {
    pub title: String,
    pub query: String,
    #[serde(default)]
    pub for_seconds: u64,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

fn default_interval() -> u64 {
    60
}

/// One rule as the fake keeps it.
#[derive(Debug, Clone)]
pub struct RuleState {
    pub seed: RuleSeed,
    pub instance: InstanceState,
    pub error: Option<String>,
    /// Model of `StartsAt`: when the instance entered its state (Unix seconds).
    pub since: u64,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub folder: String,
    pub name: String,
    pub interval_seconds: u64,
    pub rules: Vec<RuleState>,
}

#[derive(Debug, Clone)]
pub struct Rules {
    pub groups: Vec<Group>,
    pub requests: u64,
}

impl Seed {
    /// A Kloudfuse-like install: the control plane's own rules and a customer's.
    pub fn example() -> Seed {
        let rule = |title: &str, query: &str, severity: &str| RuleSeed {
            title: title.into(),
            query: query.into(),
            for_seconds: 300,
            labels: BTreeMap::from([("severity".to_string(), severity.to_string())]),
            annotations: BTreeMap::from([("summary".to_string(), format!("{title} (kfscale fake)"))]),
        };
        Seed {
            groups: vec![
                GroupSeed {
                    folder: "Kloudfuse".into(),
                    name: "kfuse-control-plane".into(),
                    interval_seconds: 60,
                    rules: vec![
                        rule(
                            "Pinot segments in error",
                            "sum(pinot_controller_segmentsInErrorState)",
                            "critical",
                        ),
                        rule(
                            "Kafka consumer lag high",
                            "max(kafka_consumergroup_lag) > 100000",
                            "critical",
                        ),
                        rule(
                            "Ingester not ready",
                            "kube_deployment_status_replicas_unavailable{deployment=\"ingester\"} > 0",
                            "warning",
                        ),
                    ],
                },
                GroupSeed {
                    folder: "Customer".into(),
                    name: "slo".into(),
                    interval_seconds: 60,
                    rules: vec![rule(
                        "Checkout latency p99",
                        "histogram_quantile(0.99, checkout_latency) > 2",
                        "warning",
                    )],
                },
            ],
        }
    }
}

impl Rules {
    pub fn from_seed(seed: &Seed) -> anyhow::Result<Rules> {
        let mut titles = std::collections::BTreeSet::new();
        for rule in seed.groups.iter().flat_map(|g| &g.rules) {
            anyhow::ensure!(
                titles.insert(rule.title.clone()),
                "two rules are titled {:?}: control addresses rules by title",
                rule.title
            );
        }
        let now = unix_now();
        Ok(Rules {
            groups: seed
                .groups
                .iter()
                .map(|g| Group {
                    folder: g.folder.clone(),
                    name: g.name.clone(),
                    interval_seconds: g.interval_seconds,
                    rules: g
                        .rules
                        .iter()
                        .map(|seed| RuleState {
                            seed: seed.clone(),
                            instance: InstanceState::Normal,
                            error: None,
                            since: now,
                        })
                        .collect(),
                })
                .collect(),
            requests: 0,
        })
    }

    pub fn set(&mut self, title: &str, state: InstanceState, error: Option<String>) -> Result<(), String> {
        let rule = self
            .groups
            .iter_mut()
            .flat_map(|g| g.rules.iter_mut())
            .find(|r| r.seed.title == title)
            .ok_or_else(|| format!("no rule titled {title:?}"))?;
        if rule.instance != state {
            rule.since = unix_now();
        }
        rule.instance = state;
        rule.error = match state {
            InstanceState::Error => {
                Some(error.unwrap_or_else(|| "failed to execute query A: the data source did not answer".into()))
            }
            _ => None,
        };
        Ok(())
    }

    pub fn reset(&mut self) {
        for rule in self.groups.iter_mut().flat_map(|g| g.rules.iter_mut()) {
            rule.instance = InstanceState::Normal;
            rule.error = None;
        }
    }
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}
