//! Where an apply's time went: per step, the time it took, the part spent waiting on the systems
//! (node boot, rollouts, data copies, Pinot jobs) and in external programs (helm); the rest is
//! kfscale's own work. The runner adds these figures to each step's observations (summed over
//! resumed attempts); this module reads them back for the closing summary and `kfscale status`.
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::ApplyRun;

/// Observation keys the runner writes for every step it runs.
pub const TOOK_MS: &str = "took_ms";
/// Retriable errors the step rode out: inside its waits, and by running again.
pub const RETRIES: &str = "retries";
pub const WAITED_MS: &str = "waited_ms";
pub const EXTERNAL_MS: &str = "external_ms";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    pub step: String,
    pub took_ms: u64,
    pub waited_ms: u64,
    pub external_ms: u64,
}

impl StepTiming {
    /// kfscale's own time in the step: what is neither a wait nor an external program.
    pub fn own_ms(&self) -> u64 {
        self.took_ms.saturating_sub(self.waited_ms + self.external_ms)
    }
}

/// Also read back from the `apply_finished` event (`--json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Observing the systems and planning, in this invocation (absent when it resumed a run).
    pub planning_ms: Option<u64>,
    pub steps: Vec<StepTiming>,
    /// Committing and pushing the record, in this invocation.
    pub record_ms: Option<u64>,
}

impl Timing {
    /// The figures of every step that ran, from the run's state.
    pub fn of(run: &ApplyRun) -> Timing {
        let millis = |observed: &serde_json::Map<String, serde_json::Value>, key: &str| {
            observed.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0)
        };
        let steps = run
            .steps
            .iter()
            .filter(|step| step.observed.contains_key(TOOK_MS))
            .map(|step| StepTiming {
                step: step.name.as_str().to_string(),
                took_ms: millis(&step.observed, TOOK_MS),
                waited_ms: millis(&step.observed, WAITED_MS),
                external_ms: millis(&step.observed, EXTERNAL_MS),
            })
            .collect();
        Timing {
            planning_ms: None,
            steps,
            record_ms: None,
        }
    }

    pub fn total_ms(&self) -> u64 {
        self.planning_ms.unwrap_or(0) + self.steps.iter().map(|s| s.took_ms).sum::<u64>() + self.record_ms.unwrap_or(0)
    }

    pub fn waited_ms(&self) -> u64 {
        self.steps.iter().map(|s| s.waited_ms).sum()
    }

    pub fn external_ms(&self) -> u64 {
        self.steps.iter().map(|s| s.external_ms).sum()
    }

    /// Planning, the steps' own work and the record: the time kfscale itself adds.
    pub fn own_ms(&self) -> u64 {
        self.planning_ms.unwrap_or(0)
            + self.steps.iter().map(StepTiming::own_ms).sum::<u64>()
            + self.record_ms.unwrap_or(0)
    }

    /// The closing summary: the split, then the steps that took a noticeable time.
    pub fn render(&self) -> String {
        let mut text = format!(
            "Time: {} in all: {} waiting on the systems, {} in helm, {} kfscale's own",
            seconds(self.total_ms()),
            seconds(self.waited_ms()),
            seconds(self.external_ms()),
            seconds(self.own_ms())
        );
        let mut parts = Vec::new();
        if let Some(planning) = self.planning_ms {
            parts.push(format!("planning {}", seconds(planning)));
        }
        for step in self.steps.iter().filter(|s| s.took_ms >= 50) {
            let mut part = format!("{} {}", step.step, seconds(step.took_ms));
            if step.waited_ms > 0 || step.external_ms > 0 {
                part += &format!(" (waited {}", seconds(step.waited_ms));
                if step.external_ms > 0 {
                    part += &format!(", helm {}", seconds(step.external_ms));
                }
                part += ")";
            }
            parts.push(part);
        }
        if let Some(record) = self.record_ms {
            parts.push(format!("record {}", seconds(record)));
        }
        if !parts.is_empty() {
            text += &format!("\n  {}", parts.join(", "));
        }
        text
    }
}

pub fn seconds(millis: u64) -> String {
    format!("{:.1} s", Duration::from_millis(millis).as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, took: u64, waited: u64, external: u64) -> StepTiming {
        StepTiming {
            step: name.into(),
            took_ms: took,
            waited_ms: waited,
            external_ms: external,
        }
    }

    #[test]
    fn splits_the_time_into_waits_external_and_own() {
        let timing = Timing {
            planning_ms: Some(1_200),
            steps: vec![
                step("node_pool", 4_000, 3_900, 0),
                step("values_file", 10, 0, 0),
                step("helm_upgrade", 2_500, 300, 2_000),
            ],
            record_ms: Some(300),
        };
        assert_eq!(timing.total_ms(), 8_010);
        assert_eq!(timing.waited_ms(), 4_200);
        assert_eq!(timing.external_ms(), 2_000);
        assert_eq!(timing.own_ms(), 1_200 + 100 + 10 + 200 + 300);
        assert_eq!(
            timing.render(),
            "Time: 8.0 s in all: 4.2 s waiting on the systems, 2.0 s in helm, 1.8 s kfscale's own\n  \
             planning 1.2 s, node_pool 4.0 s (waited 3.9 s), helm_upgrade 2.5 s (waited 0.3 s, helm 2.0 s), record 0.3 s"
        );
    }

    #[test]
    fn a_step_reporting_more_waiting_than_it_took_counts_no_own_time() {
        assert_eq!(step("rollout", 100, 150, 0).own_ms(), 0);
    }
}
