//! Broker volumes, live (#15 item 4): the most destructive thing kfscale does, run on the rig. A
//! single-AZ customer grown 3 -> 4 nodes whose broker disks are 1Gi with 128 MiB of retention per
//! partition: the disk rule raises `persistence.size` (to 2Gi or more), so the apply grows every
//! broker claim, deletes the broker StatefulSet with orphan propagation (its pods kept) and lets
//! `helm upgrade` create it again with the new volume template. kfscale and helm reach the API
//! server through the fault proxy, whose request log counts what reached the server.
//!
//! Each cell ends with the same checks, on the API server's side: every broker claim patched
//! exactly once, to the new size; exactly one delete of the set, with `propagationPolicy: Orphan`;
//! one create by helm (a new uid); no pod deleted (every broker pod keeps its uid and is adopted by
//! the new set); every broker pod on its own claim (`data-<pod>`), Bound at the new size.
//!
//! Cells: the apply uninterrupted; killed (-9) right after one claim's patch was carried out, right
//! after the delete was carried out, and between the volume step and helm, each resumed by running
//! the apply again; and the claim patch, the set's delete and a hook job's delete each carried out
//! with their answer lost (#15 item 1).
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kfscale::values::{Document, json::to_json};
use kube::api::{Api, ListParams};

use crate::common::customer::{Customer, CustomerSpec};
use crate::common::customer_proxies::customer_through_kube_proxy_with;
use crate::common::fault_proxy::{Fault, ProxiedRequest};
use crate::common::faults::{Ended, LiveApply};
use crate::common::kube_proxy::KubeProxy;

const BROKER: &str = "kafka-kraft-broker";
const PATCH_CLAIM: &str = "PATCH persistentvolumeclaims";
const DELETE_SET: &str = "DELETE statefulsets";
const CREATE_SET: &str = "POST statefulsets";
const DELETE_JOB: &str = "DELETE jobs";
const GET_SECRETS: &str = "GET secrets";
/// How long a condition on the API server may take to show.
const WAIT: Duration = Duration::from_secs(60);
const NODES_AFTER: u32 = 4;

/// The customer: brokers on 1Gi disks and 128 MiB of retention, so that 3 -> 4 grows the disks.
async fn volume_customer(prefix: &str) -> Result<(Customer, KubeProxy)> {
    customer_through_kube_proxy_with(CustomerSpec {
        values_edits: &[
            ("size: 600Gi", "size: 1Gi"),
            ("logRetentionBytes: 10737418240", "logRetentionBytes: 134217728"),
        ],
        ..CustomerSpec::single_az(prefix)
    })
    .await
}

/// The broker set and pods before the apply, read straight from the API server.
struct Before {
    set_uid: String,
    /// Broker pod name -> uid.
    pods: BTreeMap<String, String>,
    /// The broker claims (`data-kafka-kraft-broker-N`).
    claims: BTreeSet<String>,
}

struct Cluster {
    sets: Api<StatefulSet>,
    pods: Api<Pod>,
    claims: Api<PersistentVolumeClaim>,
}

async fn cluster(customer: &Customer) -> Result<Cluster> {
    let client = customer.rig.kube_client().await?;
    let ns = &customer.cluster.id;
    Ok(Cluster {
        sets: Api::namespaced(client.clone(), ns),
        pods: Api::namespaced(client.clone(), ns),
        claims: Api::namespaced(client, ns),
    })
}

impl Cluster {
    async fn broker_pods(&self) -> Result<Vec<Pod>> {
        let pods = self.pods.list(&ListParams::default()).await?.items;
        Ok(pods
            .into_iter()
            .filter(|p| {
                p.metadata
                    .name
                    .as_deref()
                    .and_then(|n| n.strip_prefix(&format!("{BROKER}-")))
                    .is_some_and(|ordinal| ordinal.parse::<u32>().is_ok())
            })
            .collect())
    }

    async fn broker_claims(&self) -> Result<Vec<PersistentVolumeClaim>> {
        let claims = self.claims.list(&ListParams::default()).await?.items;
        Ok(claims
            .into_iter()
            .filter(|c| {
                c.metadata
                    .name
                    .as_deref()
                    .is_some_and(|n| n.starts_with(&format!("data-{BROKER}-")))
            })
            .collect())
    }

    /// Broker claims asking for more than the 1Gi they started with.
    async fn grown_claims(&self) -> Result<usize> {
        Ok(self
            .broker_claims()
            .await?
            .iter()
            .filter(|c| storage_request(c).as_deref() != Some("1Gi"))
            .count())
    }

    async fn before(&self) -> Result<Before> {
        let set = self.sets.get(BROKER).await?;
        let pods = self
            .broker_pods()
            .await?
            .into_iter()
            .map(|p| (p.metadata.name.unwrap_or_default(), p.metadata.uid.unwrap_or_default()))
            .collect::<BTreeMap<_, _>>();
        let claims = self
            .broker_claims()
            .await?
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect::<BTreeSet<_>>();
        ensure!(
            !pods.is_empty() && pods.len() == claims.len(),
            "pods {pods:?}, claims {claims:?}"
        );
        Ok(Before {
            set_uid: set.metadata.uid.context("the set has no uid")?,
            pods,
            claims,
        })
    }
}

fn storage_request(claim: &PersistentVolumeClaim) -> Option<String> {
    claim
        .spec
        .as_ref()?
        .resources
        .as_ref()?
        .requests
        .as_ref()?
        .get("storage")
        .map(|q| q.0.clone())
}

fn gib(size: &str) -> Result<u64> {
    size.strip_suffix("Gi")
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("{size} is not in Gi"))
}

/// kfscale's requests of `op` that reached the API server (helm's, `Helm/...`, left out).
fn kfscale_sent(proxy: &KubeProxy, op: &str) -> Vec<ProxiedRequest> {
    proxy
        .requests()
        .into_iter()
        .filter(|r| r.op == op && r.forwarded && !r.agent.starts_with("Helm/"))
        .collect()
}

/// The checks every cell ends with (see the module's comment); returns the new size in GiB.
async fn assert_grown_once(customer: &Customer, proxy: &KubeProxy, before: &Before) -> Result<u64> {
    assert_grown(customer, proxy, before, 1).await
}

/// As [`assert_grown_once`], with `sets` StatefulSet objects deleted by kfscale and created by helm
/// (more than one when a rollback re-created the old set in between).
async fn assert_grown(customer: &Customer, proxy: &KubeProxy, before: &Before, sets: usize) -> Result<u64> {
    let cluster = cluster(customer).await?;
    let text = std::fs::read_to_string(customer.repo.join("values.yaml"))?;
    let values = to_json(&Document::parse("values.yaml", &text)?);
    let size = values["kafka-kraft"]["broker"]["persistence"]["size"]
        .as_str()
        .context("no broker persistence.size in the values file")?
        .to_string();
    ensure!(gib(&size)? > 1, "the disk did not grow: {size}");

    // Each claim patched exactly once, to the new size; no other claim patched.
    let mut patched: BTreeMap<String, usize> = BTreeMap::new();
    for request in kfscale_sent(proxy, PATCH_CLAIM) {
        ensure!(request.body.contains(&size), "a patch without {size}: {}", request.body);
        let name = request.path.rsplit('/').next().unwrap_or_default().to_string();
        *patched.entry(name).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = before.claims.iter().map(|c| (c.clone(), 1)).collect();
    ensure!(patched == expected, "claim patches {patched:?}, expected {expected:?}");

    // One delete, orphaning the pods; one create, by helm.
    let deletes = kfscale_sent(proxy, DELETE_SET);
    ensure!(
        deletes.len() == sets,
        "{} deletes of the set: {deletes:?}",
        deletes.len()
    );
    for delete in &deletes {
        ensure!(
            delete.path.ends_with(&format!("/statefulsets/{BROKER}"))
                && (delete.body.contains("\"Orphan\"") || delete.query.contains("propagationPolicy=Orphan")),
            "not an orphaning delete of {BROKER}: {delete:?}"
        );
    }
    let creates: Vec<ProxiedRequest> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.op == CREATE_SET && r.forwarded)
        .collect();
    ensure!(
        creates.len() == sets && creates.iter().all(|c| c.agent.starts_with("Helm/")),
        "creates of a set: {creates:?}"
    );
    let set = cluster.sets.get(BROKER).await?;
    let set_uid = set.metadata.uid.clone().unwrap_or_default();
    ensure!(set_uid != before.set_uid, "the set was not re-created (same uid)");
    let template = set
        .spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.as_ref())
        .and_then(|t| t.first())
        .map(storage_request)
        .context("no volume claim template")?;
    ensure!(
        template.as_deref() == Some(size.as_str()),
        "template {template:?}, values {size}"
    );

    // No pod deleted: every broker pod of before keeps its uid, and the new set owns it.
    let pods = cluster.broker_pods().await?;
    let by_name: BTreeMap<String, &Pod> = pods
        .iter()
        .map(|p| (p.metadata.name.clone().unwrap_or_default(), p))
        .collect();
    for (name, uid) in &before.pods {
        let pod = by_name.get(name).with_context(|| format!("pod {name} is gone"))?;
        ensure!(
            pod.metadata.uid.as_deref() == Some(uid.as_str()),
            "pod {name} was deleted and created again"
        );
        let owner = pod
            .metadata
            .owner_references
            .as_ref()
            .and_then(|o| o.iter().find(|o| o.controller == Some(true)))
            .map(|o| o.uid.clone());
        ensure!(
            owner.as_deref() == Some(set_uid.as_str()),
            "pod {name} not adopted: owner {owner:?}"
        );
    }
    ensure!(
        pods.len() > before.pods.len(),
        "no broker was added: {} pods",
        pods.len()
    );

    // Every broker pod on its own claim, Bound at the new size.
    let claims: BTreeMap<String, PersistentVolumeClaim> = cluster
        .broker_claims()
        .await?
        .into_iter()
        .map(|c| (c.metadata.name.clone().unwrap_or_default(), c))
        .collect();
    for (name, pod) in &by_name {
        let claim_name = pod
            .spec
            .as_ref()
            .and_then(|s| s.volumes.as_ref())
            .and_then(|v| v.iter().find(|v| v.name == "data"))
            .and_then(|v| v.persistent_volume_claim.as_ref())
            .map(|c| c.claim_name.clone());
        ensure!(
            claim_name.as_deref() == Some(format!("data-{name}").as_str()),
            "pod {name} mounts {claim_name:?}"
        );
        let claim = claims
            .get(&format!("data-{name}"))
            .with_context(|| format!("no claim for {name}"))?;
        let status = claim.status.as_ref();
        let phase = status.and_then(|s| s.phase.as_deref());
        let capacity = status
            .and_then(|s| s.capacity.as_ref())
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.as_str());
        ensure!(
            phase == Some("Bound")
                && storage_request(claim).as_deref() == Some(size.as_str())
                && capacity == Some(size.as_str()),
            "claim data-{name}: {phase:?}, request {:?}, capacity {capacity:?}",
            storage_request(claim)
        );
    }
    gib(&size)
}

/// Polls `done` every 10 ms (a kill must land before the client's 2 s timeout) until it holds.
async fn until<F, Fut>(what: &str, mut done: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let started = Instant::now();
    while !done().await? {
        if started.elapsed() > WAIT {
            bail!("no {what} within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Runs the apply again after a kill; it must succeed.
async fn resume(customer: &Customer, log: &str) -> Result<Ended> {
    let ended = LiveApply::start(customer, NODES_AFTER, log)?.end().await?;
    ended.ensure_succeeded(log)?;
    Ok(ended)
}

#[tokio::test(flavor = "multi_thread")]
async fn growing_broker_disks_patches_each_claim_once_and_recreates_the_set_keeping_its_pods() -> Result<()> {
    let (customer, proxy) = volume_customer("vol-grow").await?;
    let before = cluster(&customer).await?.before().await?;
    let started = Instant::now();
    let ended = LiveApply::start(&customer, NODES_AFTER, "apply.log")?.end().await?;
    ended.ensure_succeeded("the apply growing broker disks")?;
    let wall = started.elapsed();
    let size = assert_grown_once(&customer, &proxy, &before).await?;
    let step = customer.step_record("broker_volumes")?;
    ensure!(step["status"] == "done", "{step}");
    eprintln!(
        "broker disks 1Gi -> {size}Gi on {} claims: apply {:.1} s",
        before.claims.len(),
        wall.as_secs_f64()
    );
    // A second apply changes nothing: no patch, no delete.
    let again = LiveApply::start(&customer, NODES_AFTER, "again.log")?.end().await?;
    again.ensure_succeeded("the second apply")?;
    assert_grown_once(&customer, &proxy, &before).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_right_after_a_claim_patch_the_resume_patches_only_the_others() -> Result<()> {
    let (customer, proxy) = volume_customer("vol-kill-patch").await?;
    let cluster = cluster(&customer).await?;
    let before = cluster.before().await?;
    // The first patch is carried out and its answer never comes: the apply is killed meanwhile.
    proxy.inject(PATCH_CLAIM, Fault::Applied(Box::new(Fault::Hold)), Some(1));
    let apply = LiveApply::start(&customer, NODES_AFTER, "apply.log")?;
    until("claim grown on the API server", || async {
        Ok(cluster.grown_claims().await? > 0)
    })
    .await?;
    apply.kill_9()?;
    let grown = cluster.grown_claims().await?;
    ensure!(grown == 1, "{grown} claims grown at the kill");
    ensure!(cluster.sets.get(BROKER).await?.metadata.uid.as_deref() == Some(before.set_uid.as_str()));
    proxy.clear_all();
    resume(&customer, "resume.log").await?;
    assert_grown_once(&customer, &proxy, &before).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_right_after_the_orphaning_delete_the_resume_deletes_nothing_more() -> Result<()> {
    let (customer, proxy) = volume_customer("vol-kill-delete").await?;
    let cluster = cluster(&customer).await?;
    let before = cluster.before().await?;
    proxy.inject(DELETE_SET, Fault::Applied(Box::new(Fault::Hold)), Some(1));
    let apply = LiveApply::start(&customer, NODES_AFTER, "apply.log")?;
    until("the set deleted on the API server", || async {
        let set = cluster.sets.get_opt(BROKER).await?;
        Ok(set.is_none_or(|s| s.metadata.deletion_timestamp.is_some()))
    })
    .await?;
    apply.kill_9()?;
    proxy.clear_all();
    resume(&customer, "resume.log").await?;
    assert_grown_once(&customer, &proxy, &before).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_between_the_volume_step_and_helm_the_resume_creates_the_set_once() -> Result<()> {
    let (customer, proxy) = volume_customer("vol-kill-helm").await?;
    let cluster = cluster(&customer).await?;
    let before = cluster.before().await?;
    let mut apply = LiveApply::start(&customer, NODES_AFTER, "apply.log")?;
    apply.step_started("broker_volumes").await?;
    // Nothing in the volume step reads a Secret; the helm_upgrade step's first read is the
    // release's Secrets, before it runs helm: hold it there and kill.
    let secrets_read = proxy.count(GET_SECRETS);
    proxy.inject(GET_SECRETS, Fault::Hold, None);
    until("the helm_upgrade step's first read", || async {
        Ok(proxy.count(GET_SECRETS) > secrets_read)
    })
    .await?;
    apply.kill_9()?;
    proxy.clear_all();
    ensure!(
        cluster.sets.get_opt(BROKER).await?.is_none(),
        "the set is there before helm ran"
    );
    let state = customer.state()?;
    let volumes = crate::common::customer::step(&state, "broker_volumes").cloned();
    ensure!(
        volumes.as_ref().is_some_and(|s| s["status"] == "done"),
        "the volume step did not finish before the kill: {volumes:?}"
    );
    resume(&customer, "resume.log").await?;
    assert_grown_once(&customer, &proxy, &before).await?;
    Ok(())
}

/// Killed while helm upgrades, before it created the set: the release is left `pending-upgrade`.
/// The resume rolls it back, which creates the set again with the old template; the set is removed
/// once more (pods kept) so that the upgrade creates it with the new one. Two sets deleted, two
/// created (the rollback's and the upgrade's); still no claim patched twice and no pod deleted.
#[tokio::test(flavor = "multi_thread")]
async fn killed_while_helm_recreates_the_set_the_resume_rolls_back_and_recreates_it() -> Result<()> {
    let (customer, proxy) = volume_customer("vol-kill-in-helm").await?;
    let cluster = cluster(&customer).await?;
    let before = cluster.before().await?;
    proxy.inject(CREATE_SET, Fault::Hold, Some(1));
    let apply = LiveApply::start(&customer, NODES_AFTER, "apply.log")?;
    until("helm's create of the set", || async { Ok(proxy.count(CREATE_SET) > 0) }).await?;
    apply.kill_9()?;
    proxy.clear_all();
    let resumed = resume(&customer, "resume.log").await?;
    let rolled_back = resumed.events.iter().any(|e| {
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("rolling back to revision"))
    });
    ensure!(rolled_back, "no rollback:\n{}", resumed.stderr);
    assert_grown(&customer, &proxy, &before, 2).await?;
    Ok(())
}

/// The claim patch, the set's delete and one hook job's delete are each carried out and answered
/// 500: the step is retried, finds what was done, and sends none of them again.
#[tokio::test(flavor = "multi_thread")]
async fn volume_and_hook_job_writes_applied_with_their_answers_lost_are_not_sent_again() -> Result<()> {
    let (customer, proxy) = volume_customer("vol-lost").await?;
    let before = cluster(&customer).await?.before().await?;
    let jobs_before: BTreeSet<String> = {
        let client = customer.rig.kube_client().await?;
        let jobs: Api<k8s_openapi::api::batch::v1::Job> = Api::namespaced(client, &customer.cluster.id);
        jobs.list(&ListParams::default())
            .await?
            .items
            .into_iter()
            .filter_map(|j| j.metadata.name)
            .collect()
    };
    ensure!(!jobs_before.is_empty(), "no leftover hook job to delete");
    for op in [PATCH_CLAIM, DELETE_SET, DELETE_JOB] {
        proxy.fail_after_applying(
            op,
            500,
            "InternalError",
            "Internal error occurred: injected after the write",
            Some(1),
        );
    }
    let ended = LiveApply::start(&customer, NODES_AFTER, "apply.log")?.end().await?;
    ended.ensure_succeeded("the apply whose write answers were lost")?;
    for (op, step) in [
        (PATCH_CLAIM, "broker_volumes"),
        (DELETE_SET, "broker_volumes"),
        (DELETE_JOB, "hook_jobs"),
    ] {
        ensure!(
            proxy.answers_lost(op) == 1,
            "{op}: {} answers lost",
            proxy.answers_lost(op)
        );
        ensure!(!ended.retries_in(step).is_empty(), "{step} was not retried");
    }
    assert_grown_once(&customer, &proxy, &before).await?;
    // Each leftover hook job deleted once by kfscale.
    let mut deleted: BTreeMap<String, usize> = BTreeMap::new();
    for request in kfscale_sent(&proxy, DELETE_JOB) {
        *deleted
            .entry(request.path.rsplit('/').next().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = jobs_before.iter().map(|j| (j.clone(), 1)).collect();
    ensure!(
        deleted == expected,
        "hook job deletes {deleted:?}, expected {expected:?}"
    );
    Ok(())
}
