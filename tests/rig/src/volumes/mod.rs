//! The volume provisioner: what the EBS CSI driver and the PV controller do for a claim, so that
//! StatefulSets with volumeClaimTemplates run on the rig. A claim of a rig storage class (see
//! `classes`) gets a PersistentVolume in the zone of the node the scheduler picked, and both are
//! marked Bound; a grown request grows the volume (EBS resizes online); a volume whose claim is gone
//! is deleted (reclaim policy Delete).
pub mod classes;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::json;
use tracing::{info, warn};

use crate::ignore_not_found;
use crate::names::fnv1a;

const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";

pub struct Volumes {
    client: kube::Client,
}

impl Volumes {
    pub fn new(client: kube::Client) -> Self {
        Self { client }
    }

    /// Runs until the process ends.
    pub async fn run(self) {
        while let Err(err) = classes::ensure(&self.client).await {
            warn!("volume provisioner: {err:#}; retrying");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let ctx = Arc::new(self);
        let claims = Controller::new(
            Api::<PersistentVolumeClaim>::all(ctx.client.clone()),
            watcher::Config::default(),
        )
        .run(reconcile_claim, on_error, ctx.clone())
        .for_each(log_errors);
        // A claim's deletion changes nothing on its volume: trigger the volume from the claim.
        let volumes = Controller::new(
            Api::<PersistentVolume>::all(ctx.client.clone()),
            watcher::Config::default(),
        )
        .watches(
            Api::<PersistentVolumeClaim>::all(ctx.client.clone()),
            watcher::Config::default(),
            |claim| {
                claim
                    .spec
                    .and_then(|s| s.volume_name)
                    .map(|name| ObjectRef::<PersistentVolume>::new(&name))
            },
        )
        .run(reconcile_volume, on_error, ctx.clone())
        .for_each(log_errors);
        tokio::join!(claims, volumes);
    }
}

async fn log_errors<T, E: std::fmt::Display>(result: Result<T, controller::Error<E, watcher::Error>>) {
    match result {
        Ok(_) | Err(controller::Error::ObjectNotFound(_)) => {}
        Err(err) => warn!("volume provisioner: {err}"),
    }
}

/// Retries soon; the error itself is logged by `log_errors`.
fn on_error<K>(_obj: Arc<K>, _err: &kube::Error, _ctx: Arc<Volumes>) -> Action {
    Action::requeue(Duration::from_millis(500))
}

async fn reconcile_claim(claim: Arc<PersistentVolumeClaim>, ctx: Arc<Volumes>) -> Result<Action, kube::Error> {
    let (Some(ns), Some(name), Some(uid)) = (
        claim.metadata.namespace.as_deref(),
        claim.metadata.name.as_deref(),
        claim.metadata.uid.as_deref(),
    ) else {
        return Ok(Action::await_change());
    };
    let spec = claim.spec.clone().unwrap_or_default();
    let Some(class_name) = spec.storage_class_name.as_deref() else {
        return Ok(Action::await_change());
    };
    let Some(class) = Api::<StorageClass>::all(ctx.client.clone()).get_opt(class_name).await? else {
        return Ok(Action::requeue(Duration::from_secs(1)));
    };
    if claim.metadata.deletion_timestamp.is_some() || !classes::PROVISIONERS.contains(&class.provisioner.as_str()) {
        return Ok(Action::await_change());
    }
    let request = spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .map(|q| q.0.clone())
        .unwrap_or_else(|| "1Gi".to_owned());
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), ns);
    let volumes: Api<PersistentVolume> = Api::all(ctx.client.clone());
    let capacity = json!({ "storage": request });

    if let Some(volume) = spec.volume_name.as_deref() {
        let current = claim
            .status
            .as_ref()
            .and_then(|s| s.capacity.as_ref())
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.clone());
        if current.as_deref() != Some(request.as_str()) {
            // Validation only lets a request grow, and only on an expandable class.
            let grow = json!({ "spec": { "capacity": capacity } });
            volumes
                .patch(volume, &PatchParams::default(), &Patch::Merge(grow))
                .await?;
            let status = json!({ "status": { "capacity": capacity, "conditions": null } });
            claims
                .patch_status(name, &PatchParams::default(), &Patch::Merge(status))
                .await?;
            info!("volume {volume} of {ns}/{name} resized to {request}");
        }
        return Ok(Action::await_change());
    }

    let annotations = claim.metadata.annotations.clone().unwrap_or_default();
    let node = annotations.get(SELECTED_NODE);
    let wait_for_consumer = class.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer");
    if wait_for_consumer && node.is_none() {
        return Ok(Action::await_change()); // the scheduler picks the node (and so the zone) first
    }
    let zone = match node {
        Some(node) => Api::<Node>::all(ctx.client.clone())
            .get_opt(node)
            .await?
            .and_then(|n| n.metadata.labels)
            .and_then(|l| l.get("topology.kubernetes.io/zone").cloned()),
        None => None,
    };
    let volume_name = format!("pvc-{uid}");
    let volume = volume_object(&volume_name, &class, &claim, &request, zone.as_deref());
    let volume: PersistentVolume = serde_json::from_value(volume).map_err(kube::Error::SerdeError)?;
    match volumes.create(&PostParams::default(), &volume).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {} // created by an earlier round
        Err(err) => return Err(err),
    }
    let bound = json!({ "status": { "phase": "Bound" } });
    volumes
        .patch_status(&volume_name, &PatchParams::default(), &Patch::Merge(bound))
        .await?;
    let bind = json!({
        "metadata": { "annotations": {
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.beta.kubernetes.io/storage-provisioner": class.provisioner,
        } },
        "spec": { "volumeName": volume_name },
    });
    claims.patch(name, &PatchParams::default(), &Patch::Merge(bind)).await?;
    let access = spec
        .access_modes
        .clone()
        .unwrap_or_else(|| vec!["ReadWriteOnce".to_owned()]);
    let status = json!({ "status": { "phase": "Bound", "accessModes": access, "capacity": capacity } });
    claims
        .patch_status(name, &PatchParams::default(), &Patch::Merge(status))
        .await?;
    info!("volume {volume_name} ({request}, {class_name}) bound to {ns}/{name}");
    Ok(Action::await_change())
}

/// Deletes a volume this provisioner made once its claim is gone (reclaim policy Delete).
async fn reconcile_volume(volume: Arc<PersistentVolume>, ctx: Arc<Volumes>) -> Result<Action, kube::Error> {
    let ours = volume
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(PROVISIONED_BY))
        .is_some_and(|p| classes::PROVISIONERS.contains(&p.as_str()));
    let spec = volume.spec.clone().unwrap_or_default();
    let (Some(name), Some(claim_ref)) = (volume.metadata.name.as_deref(), spec.claim_ref) else {
        return Ok(Action::await_change());
    };
    if !ours || volume.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let (Some(ns), Some(claim_name)) = (claim_ref.namespace, claim_ref.name) else {
        return Ok(Action::await_change());
    };
    let claim = Api::<PersistentVolumeClaim>::namespaced(ctx.client.clone(), &ns)
        .get_opt(&claim_name)
        .await?;
    if claim.is_some_and(|c| c.metadata.uid == claim_ref.uid) {
        return Ok(Action::await_change());
    }
    // Released first: the pv-protection finalizer holds a Bound volume.
    let volumes: Api<PersistentVolume> = Api::all(ctx.client.clone());
    let released = json!({ "status": { "phase": "Released" } });
    // Either call may find the volume gone: deleted by an earlier round, nothing left to do.
    let released = volumes
        .patch_status(name, &PatchParams::default(), &Patch::Merge(released))
        .await;
    ignore_not_found(released)?;
    ignore_not_found(volumes.delete(name, &DeleteParams::default()).await)?;
    info!("volume {name} deleted (claim {ns}/{claim_name} is gone)");
    Ok(Action::await_change())
}

fn volume_object(
    name: &str,
    class: &StorageClass,
    claim: &PersistentVolumeClaim,
    request: &str,
    zone: Option<&str>,
) -> serde_json::Value {
    let spec = claim.spec.clone().unwrap_or_default();
    let handle = format!("vol-{:017x}", fnv1a(name.as_bytes()) >> 4);
    let fs_type = class
        .parameters
        .as_ref()
        .and_then(|p| p.get("csi.storage.k8s.io/fstype").or_else(|| p.get("fsType")))
        .cloned()
        .unwrap_or_else(|| "ext4".to_owned());
    let mut source = if class.provisioner == "ebs.csi.aws.com" {
        json!({ "csi": { "driver": class.provisioner, "volumeHandle": handle, "fsType": fs_type,
                         "volumeAttributes": class.parameters } })
    } else {
        let id = match zone {
            Some(zone) => format!("aws://{zone}/{handle}"),
            None => handle,
        };
        json!({ "awsElasticBlockStore": { "volumeID": id, "fsType": fs_type } })
    };
    if let Some(zone) = zone {
        source["nodeAffinity"] = json!({ "required": { "nodeSelectorTerms": [{ "matchExpressions": [
            { "key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone] }
        ] }] } });
    }
    let mut spec_json = json!({
        "capacity": { "storage": request },
        "accessModes": spec.access_modes.unwrap_or_else(|| vec!["ReadWriteOnce".to_owned()]),
        "persistentVolumeReclaimPolicy": class.reclaim_policy.clone().unwrap_or_else(|| "Delete".to_owned()),
        "storageClassName": class.metadata.name,
        "volumeMode": spec.volume_mode.unwrap_or_else(|| "Filesystem".to_owned()),
        "claimRef": {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "namespace": claim.metadata.namespace, "name": claim.metadata.name,
            "uid": claim.metadata.uid, "resourceVersion": claim.metadata.resource_version,
        },
    });
    if let (Some(target), Some(extra)) = (spec_json.as_object_mut(), source.as_object()) {
        target.extend(extra.clone());
    }
    json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": name,
            "annotations": { PROVISIONED_BY: class.provisioner },
            "labels": zone.map(|z| json!({ "topology.kubernetes.io/zone": z })).unwrap_or(json!({})),
        },
        "spec": spec_json,
    })
}
