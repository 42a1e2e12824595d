//! Pinot servers follow the chart's pods: a Pinot fake following a test's own namespace (in-process,
//! seeded like the rig's, tests/rig/seeds/pinot.json) sees the chart's realtime servers live with tag
//! DefaultTenant_REALTIME once their pods are Ready; scaling the pinot-server-realtime StatefulSet up
//! registers the new servers, which hold no segment until a rebalance gives them some.
use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Namespace, Node};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, Seed};
use kfscale_rig::{RigEnv, cluster, eks, wait};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(90);
const REALTIME_TAG: &str = "DefaultTenant_REALTIME";
/// The chart's parameter set for 3.4.x (kfscale's profile `runbook-2024`).
const REBALANCE: &str = "type=REALTIME&dryRun=false&reassignInstances=true&includeConsuming=false&bootstrap=false\
     &downtime=true&bestEfforts=false&lowDiskMode=false&minAvailableReplicas=1";

struct Pinot {
    fake: PinotFake,
    http: reqwest::Client,
    namespace: String,
}

impl Pinot {
    async fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{}{path}", self.fake.api_url());
        let response = self.http.get(&url).send().await?;
        ensure!(response.status().is_success(), "GET {url}: HTTP {}", response.status());
        Ok(response.json().await?)
    }

    fn server(&self, ordinal: u32) -> String {
        let ns = &self.namespace;
        format!("Server_pinot-server-realtime-{ordinal}.pinot-server-realtime-headless.{ns}.svc.cluster.local_8098")
    }

    async fn live(&self) -> Result<BTreeSet<String>> {
        names(&self.get("/liveinstances").await?)
    }

    /// The servers holding a replica of `table` in its ideal state or external view.
    async fn holders(&self, table: &str, view: &str) -> Result<BTreeSet<String>> {
        let body = self.get(&format!("/tables/{table}/{view}?tableType=REALTIME")).await?;
        let segments = body["REALTIME"].as_object().context("no REALTIME view")?;
        Ok(segments
            .values()
            .filter_map(Value::as_object)
            .flat_map(|replicas| replicas.keys().cloned())
            .collect())
    }

    /// Moves model time until `table` has converged (external view = ideal state), failing after
    /// an hour of model time.
    async fn converge(&self, table: &str) -> Result<()> {
        for _ in 0..60 {
            let tables = self.get("/_control/tables").await?;
            if tables[table]["converged"] == true {
                return Ok(());
            }
            self.fake.clock().advance(Duration::from_secs(60));
        }
        anyhow::bail!(
            "{table} never converged: {}",
            self.get("/_control/tables").await?[table]
        )
    }
}

fn names(body: &Value) -> Result<BTreeSet<String>> {
    Ok(body["instances"]
        .as_array()
        .context("no instances")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn new_pinot_servers_join_when_ready_and_get_segments_only_from_a_rebalance() -> Result<()> {
    let rig = RigEnv::from_env()?;
    let kube = rig.kube_client().await?;
    let installed = cluster::install(&rig, "pinot", 6, rig.get("KFSCALE_RIG_VALUES")?, "3.4.0").await?;
    let namespace = installed.id.clone();

    let mut seed: Seed = serde_json::from_str(include_str!("../../seeds/pinot.json"))?;
    seed.namespace = namespace.clone();
    // A frozen model clock: segments load only when the test moves time.
    let fake = PinotFake::start(&seed, 0, ModelClock::new(0.0)).await?;
    let watcher = fake.watch_pods(kube.clone(), namespace.clone());
    let pinot = Pinot {
        fake,
        http: reqwest::Client::new(),
        namespace: namespace.clone(),
    };

    // The chart's six realtime servers are Ready: live, tagged for the tenant, and holding segments; the
    // offline set's six pods joined too, with their own tenant's tag.
    let first: BTreeSet<String> = (0..6).map(|i| pinot.server(i)).collect();
    let offline = wait::until("the realtime and offline servers to be live", WAIT, || async {
        let live = pinot.live().await?;
        let offline = names(&pinot.get("/instances?tag=DefaultTenant_OFFLINE").await?)?;
        Ok(
            if first.is_subset(&live) && offline.len() == 6 && offline.is_subset(&live) {
                Ok(offline)
            } else {
                Err(format!("live: {live:?}, offline: {offline:?}"))
            },
        )
    })
    .await?;
    assert!(
        offline.iter().all(|s| s.contains("pinot-server-offline-")),
        "{offline:?}"
    );
    let tagged = names(&pinot.get(&format!("/instances?tag={REALTIME_TAG}")).await?)?;
    assert_eq!(tagged, first);
    assert_eq!(pinot.holders("kf_metrics", "idealstate").await?, first);

    // 6 -> 9 realtime servers, as the Helm upgrade of a scale-out does.
    Api::<StatefulSet>::namespaced(kube.clone(), &namespace)
        .patch(
            "pinot-server-realtime",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "replicas": 9 } })),
        )
        .await?;
    let all: BTreeSet<String> = (0..9).map(|i| pinot.server(i)).collect();
    let new: BTreeSet<String> = (6..9).map(|i| pinot.server(i)).collect();
    wait::until("the three new realtime servers to be live", WAIT, || async {
        let live = pinot.live().await?;
        Ok(if all.is_subset(&live) {
            Ok(())
        } else {
            Err(format!("live: {live:?}"))
        })
    })
    .await?;
    let tagged = names(&pinot.get(&format!("/instances?tag={REALTIME_TAG}")).await?)?;
    assert_eq!(tagged, all, "new servers carry the tenant tag");
    let instance = pinot.get(&format!("/instances/{}", pinot.server(8))).await?;
    assert_eq!(instance["tags"], json!([REALTIME_TAG]), "{instance}");
    // However long they wait, they hold nothing: Pinot assigns segments to new servers only on a rebalance.
    pinot.fake.clock().advance(Duration::from_secs(3600));
    for table in ["kf_metrics", "kf_logs"] {
        for view in ["idealstate", "externalview"] {
            let holders = pinot.holders(table, view).await?;
            assert!(
                holders.is_disjoint(&new),
                "{table} {view} before the rebalance: {holders:?}"
            );
        }
    }

    // The rebalance of kf_metrics (downtime, as the chart's 3.4 runbook): its new target includes the new
    // servers at once; they load their segments as model time passes. kf_logs is not rebalanced.
    let url = format!("{}/tables/kf_metrics/rebalance?{REBALANCE}", pinot.fake.api_url());
    let answer: Value = pinot.http.post(&url).send().await?.error_for_status()?.json().await?;
    assert_eq!(answer["status"], "DONE", "{answer}");
    assert!(new.is_subset(&pinot.holders("kf_metrics", "idealstate").await?));
    pinot.converge("kf_metrics_REALTIME").await?;
    let serving = pinot.holders("kf_metrics", "externalview").await?;
    assert_eq!(serving, all, "every server serves kf_metrics after the rebalance");
    let statuses = pinot
        .get("/tables/kf_metrics/segmentsStatus?tableType=REALTIME")
        .await?;
    let statuses = statuses.as_array().context("segmentsStatus")?;
    assert!(statuses.iter().all(|s| s["segmentStatus"] == "GOOD"), "{statuses:?}");
    assert!(pinot.holders("kf_logs", "idealstate").await?.is_disjoint(&new));

    // Leave the shared rig as found.
    watcher.abort();
    pinot.fake.stop().await;
    Api::<Namespace>::all(kube.clone())
        .delete(&namespace, &DeleteParams::default())
        .await?;
    eks::resize(&rig.eks_client().await?, &installed.id, &installed.nodegroup, 0).await?;
    let selector = installed.node_selector();
    wait::until("the node group's nodes to go", WAIT, || async {
        let left = Api::<Node>::all(kube.clone())
            .list(&ListParams::default().labels(&selector))
            .await?;
        Ok(if left.items.is_empty() {
            Ok(())
        } else {
            Err(format!("{} nodes", left.items.len()))
        })
    })
    .await
}
