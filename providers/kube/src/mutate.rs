//! The few writes kfscale makes through the Kubernetes API besides the lease: deleting a leftover
//! hook Job, growing a volume claim, and removing a StatefulSet object while keeping its pods.
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PropagationPolicy};

use super::{Kube, KubeError, api};

impl Kube {
    /// Deletes a Job and its pods; true when it existed.
    pub async fn delete_job(&self, name: &str) -> Result<bool, KubeError> {
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..Default::default()
        };
        let jobs: Api<Job> = Api::namespaced(self.client.clone(), &self.namespace);
        match jobs.delete(name, &params).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
            Err(source) => Err(KubeError::Api {
                action: format!("delete Job {name}"),
                source,
            }),
        }
    }

    /// Sets a claim's requested storage (volumes only grow; the caller checks).
    pub async fn resize_claim(&self, name: &str, size: &str) -> Result<(), KubeError> {
        let claims: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), &self.namespace);
        let patch = serde_json::json!({"spec": {"resources": {"requests": {"storage": size}}}});
        claims
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(api(&format!("resize PersistentVolumeClaim {name} to {size}")))?;
        Ok(())
    }

    /// Deletes the StatefulSet object but not its pods (`--cascade=orphan`), so the next
    /// `helm upgrade` can create it again with a new volume template. True when it existed.
    pub async fn delete_statefulset_keep_pods(&self, name: &str) -> Result<bool, KubeError> {
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Orphan),
            ..Default::default()
        };
        let sets: Api<StatefulSet> = Api::namespaced(self.client.clone(), &self.namespace);
        match sets.delete(name, &params).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
            Err(source) => Err(KubeError::Api {
                action: format!("delete StatefulSet {name} (orphan)"),
                source,
            }),
        }
    }

    /// A StatefulSet's volume claim template named `template`, as the broker volume step needs it:
    /// absent, being deleted (a delete was carried out, its garbage collection still runs), or
    /// present with the template's storage request.
    pub async fn statefulset_claim_template(&self, name: &str, template: &str) -> Result<ClaimTemplate, KubeError> {
        let sets: Api<StatefulSet> = Api::namespaced(self.client.clone(), &self.namespace);
        let Some(set) = sets
            .get_opt(name)
            .await
            .map_err(api(&format!("read StatefulSet {name}")))?
        else {
            return Ok(ClaimTemplate::Absent);
        };
        if set.metadata.deletion_timestamp.is_some() {
            return Ok(ClaimTemplate::Deleting);
        }
        let size = set
            .spec
            .and_then(|spec| spec.volume_claim_templates)
            .and_then(|templates| {
                templates
                    .into_iter()
                    .find(|t| t.metadata.name.as_deref() == Some(template))
            })
            .and_then(|t| t.spec)
            .and_then(|spec| spec.resources)
            .and_then(|r| r.requests)
            .and_then(|r| r.get("storage").map(|q| q.0.clone()));
        Ok(ClaimTemplate::Present { size })
    }
}

/// What [`Kube::statefulset_claim_template`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimTemplate {
    Absent,
    /// Deleted, not gone yet: with orphan propagation the garbage collector first frees the pods.
    Deleting,
    /// The template's storage request (None: no such template, or no request).
    Present {
        size: Option<String>,
    },
}
