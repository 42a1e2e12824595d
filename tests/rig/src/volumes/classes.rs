//! The storage classes of an EKS cluster: `gp2` (the in-tree default every EKS cluster has) and `gp3`
//! (the EBS CSI driver's, with the IOPS and throughput Kloudfuse asks of Pinot server volumes). The
//! daemon creates them at start when missing; tests may add others with the same provisioners.
use anyhow::{Context, Result};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, PostParams};
use serde_json::json;

/// Provisioners whose claims the rig's volume provisioner serves.
pub const PROVISIONERS: [&str; 2] = ["ebs.csi.aws.com", "kubernetes.io/aws-ebs"];

pub fn defaults() -> Vec<serde_json::Value> {
    vec![
        json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": "gp2",
                "annotations": { "storageclass.kubernetes.io/is-default-class": "true" },
            },
            "provisioner": "kubernetes.io/aws-ebs",
            "parameters": { "type": "gp2", "fsType": "ext4" },
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
        }),
        json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": { "name": "gp3" },
            "provisioner": "ebs.csi.aws.com",
            "parameters": { "type": "gp3", "iops": "6000", "throughput": "500", "csi.storage.k8s.io/fstype": "ext4" },
            "reclaimPolicy": "Delete",
            "allowVolumeExpansion": true,
            "volumeBindingMode": "WaitForFirstConsumer",
        }),
    ]
}

/// Creates the default storage classes that do not exist yet.
pub async fn ensure(client: &kube::Client) -> Result<()> {
    let api: Api<StorageClass> = Api::all(client.clone());
    for body in defaults() {
        let class: StorageClass = serde_json::from_value(body)?;
        let name = class.metadata.name.clone().unwrap_or_default();
        if api.get_opt(&name).await?.is_none() {
            api.create(&PostParams::default(), &class)
                .await
                .with_context(|| format!("creating storage class {name}"))?;
        }
    }
    Ok(())
}
