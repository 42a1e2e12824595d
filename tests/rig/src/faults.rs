//! Fault injection for the pod runner: which pods must not become healthy.
//!
//! Two ways to name a pod, both read on every reconcile so a test can change them at any time:
//! - the annotation `rig.kfscale.io/fault: <fault>` on the pod (or its template);
//! - the ConfigMap `kfscale-rig-faults` in the pod's namespace, one key per fault, each a list of pod
//!   name patterns (`*` matches any run of characters) separated by whitespace or commas.
use std::collections::BTreeMap;

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};

pub const ANNOTATION: &str = "rig.kfscale.io/fault";
pub const CONFIG_MAP: &str = "kfscale-rig-faults";

/// What the pod runner does to a pod instead of making it Running and Ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// Running, but its readiness probe never passes (Ready=False); flips back when unlisted.
    NotReady,
    /// Never starts: stays Pending with an image pull error.
    Pending,
    /// Its container exits 1: phase Failed (a Job's pod fails, so the Job retries and fails).
    Fail,
}

impl Fault {
    pub const ALL: [Fault; 3] = [Fault::NotReady, Fault::Pending, Fault::Fail];

    /// The annotation value and ConfigMap key of this fault.
    pub fn key(self) -> &'static str {
        match self {
            Fault::NotReady => "not-ready",
            Fault::Pending => "pending",
            Fault::Fail => "fail",
        }
    }

    pub fn parse(key: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.key() == key.trim())
    }
}

/// The fault that applies to a pod, if any: the annotation wins, then the ConfigMap's keys, the
/// harshest fault first.
pub fn fault_for(pod_name: &str, annotation: Option<&str>, config: Option<&BTreeMap<String, String>>) -> Option<Fault> {
    if let Some(fault) = annotation.and_then(Fault::parse) {
        return Some(fault);
    }
    let config = config?;
    Fault::ALL.into_iter().rev().find(|fault| {
        config.get(fault.key()).is_some_and(|list| {
            list.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|p| !p.is_empty())
                .any(|pattern| glob_match(pattern, pod_name))
        })
    })
}

/// Sets the pods (patterns) that get `fault` in `namespace`, replacing that key of the ConfigMap;
/// an empty list clears the fault. Tests call this; the pod runner picks it up at once.
pub async fn set(client: kube::Client, namespace: &str, fault: Fault, patterns: &[&str]) -> Result<()> {
    let api: Api<ConfigMap> = Api::namespaced(client, namespace);
    let body = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": { "name": CONFIG_MAP },
        "data": { fault.key(): patterns.join("\n") },
    });
    api.patch(
        CONFIG_MAP,
        &PatchParams::apply("kfscale-rig-tests").force(),
        &Patch::Apply(body),
    )
    .await
    .with_context(|| format!("setting fault {} in {namespace}/{CONFIG_MAP}", fault.key()))?;
    Ok(())
}

/// `*` matches any run of characters, everything else itself.
fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("kafka-kraft-broker-*", "kafka-kraft-broker-7"));
        assert!(glob_match("*-7", "kafka-kraft-broker-7"));
        assert!(glob_match("k*b*7", "kafka-kraft-broker-7"));
        assert!(glob_match("ingester-0", "ingester-0"));
        assert!(!glob_match("ingester-0", "ingester-01"));
        assert!(!glob_match("a*a", "a"));
    }

    #[test]
    fn annotation_wins_then_the_harshest_listed_fault() {
        let config = BTreeMap::from([
            ("not-ready".to_owned(), "p-*".to_owned()),
            ("fail".to_owned(), "p-1, q".to_owned()),
        ]);
        assert_eq!(fault_for("p-1", None, Some(&config)), Some(Fault::Fail));
        assert_eq!(fault_for("p-2", None, Some(&config)), Some(Fault::NotReady));
        assert_eq!(fault_for("p-1", Some("pending"), Some(&config)), Some(Fault::Pending));
        assert_eq!(fault_for("z", None, Some(&config)), None);
        assert_eq!(fault_for("z", Some("bogus"), None), None);
    }
}
