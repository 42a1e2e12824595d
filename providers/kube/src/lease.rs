//! Leases (`coordination.k8s.io/v1`), the cluster-wide lock: create-if-absent and replace with the
//! resourceVersion read, so two operators racing for it cannot both win.
use std::collections::BTreeMap;
use std::time::SystemTime;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, DeleteParams, PostParams, Preconditions};

use super::{Kube, KubeError, api};

/// A lease as kfscale reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRecord {
    pub name: String,
    pub holder: Option<String>,
    pub duration_seconds: Option<i32>,
    /// RFC 3339.
    pub acquire_time: Option<String>,
    pub renew_time: Option<String>,
    pub annotations: BTreeMap<String, String>,
    /// Needed to replace or delete exactly the version that was read.
    pub resource_version: Option<String>,
    /// When the API server last wrote it, by the server's own clock (RFC 3339, from
    /// `metadata.managedFields`): a lease's age judged without trusting any holder's clock.
    pub written_at: Option<String>,
}

/// What a write found.
#[derive(Debug, PartialEq, Eq)]
pub enum LeaseWrite {
    Written(LeaseRecord),
    /// Someone else created or changed it since it was read.
    Conflict,
}

impl Kube {
    pub async fn lease(&self, name: &str) -> Result<Option<LeaseRecord>, KubeError> {
        let lease = self
            .leases()
            .get_opt(name)
            .await
            .map_err(api(&format!("read Lease {name}")))?;
        Ok(lease.map(|lease| record(&lease)))
    }

    /// Creates the lease; `Conflict` when it already exists.
    pub async fn create_lease(&self, lease: &LeaseRecord) -> Result<LeaseWrite, KubeError> {
        match self
            .leases()
            .create(&PostParams::default(), &to_object(lease, None))
            .await
        {
            Ok(created) => Ok(LeaseWrite::Written(record(&created))),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(LeaseWrite::Conflict),
            Err(source) => Err(KubeError::Api {
                action: format!("create Lease {}", lease.name),
                source,
            }),
        }
    }

    /// Replaces the lease if it is still at `lease.resource_version`; `Conflict` otherwise.
    pub async fn replace_lease(&self, lease: &LeaseRecord) -> Result<LeaseWrite, KubeError> {
        let object = to_object(lease, lease.resource_version.clone());
        match self
            .leases()
            .replace(&lease.name, &PostParams::default(), &object)
            .await
        {
            Ok(replaced) => Ok(LeaseWrite::Written(record(&replaced))),
            Err(kube::Error::Api(status)) if status.code == 409 || status.code == 404 => Ok(LeaseWrite::Conflict),
            Err(source) => Err(KubeError::Api {
                action: format!("replace Lease {}", lease.name),
                source,
            }),
        }
    }

    /// Deletes the lease if it is still at `resource_version`; false when it changed or is gone.
    pub async fn delete_lease(&self, name: &str, resource_version: &str) -> Result<bool, KubeError> {
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: Some(resource_version.to_string()),
                uid: None,
            }),
            ..Default::default()
        };
        match self.leases().delete(name, &params).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 || status.code == 404 => Ok(false),
            Err(source) => Err(KubeError::Api {
                action: format!("delete Lease {name}"),
                source,
            }),
        }
    }

    /// The API server's clock now: the `Date` of its answer to a cheap request (`GET /version`).
    /// None when the server sends no `Date` (RFC 9110 lets a server without a clock omit it).
    pub async fn server_time(&self) -> Result<Option<SystemTime>, KubeError> {
        let request = http::Request::get("/version")
            .body(Vec::new())
            .map_err(|err| KubeError::Config(err.to_string()))?;
        let response = self
            .client
            .send(request.map(kube::client::Body::from))
            .await
            .map_err(api("read the API server's clock (GET /version)"))?;
        Ok(response
            .headers()
            .get(http::header::DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| httpdate::parse_http_date(text).ok()))
    }

    fn leases(&self) -> Api<Lease> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }
}

fn record(lease: &Lease) -> LeaseRecord {
    let spec = lease.spec.clone().unwrap_or_default();
    LeaseRecord {
        name: lease.metadata.name.clone().unwrap_or_default(),
        holder: spec.holder_identity,
        duration_seconds: spec.lease_duration_seconds,
        acquire_time: spec.acquire_time.map(|t| t.0.to_string()),
        renew_time: spec.renew_time.map(|t| t.0.to_string()),
        annotations: lease.metadata.annotations.clone().unwrap_or_default(),
        resource_version: lease.metadata.resource_version.clone(),
        written_at: lease
            .metadata
            .managed_fields
            .iter()
            .flatten()
            .filter_map(|entry| entry.time.as_ref())
            .map(|time| time.0)
            .max()
            .map(|time| time.to_string()),
    }
}

fn to_object(lease: &LeaseRecord, resource_version: Option<String>) -> Lease {
    let time = |text: &Option<String>| text.as_ref().and_then(|t| t.parse().ok()).map(MicroTime);
    Lease {
        metadata: ObjectMeta {
            name: Some(lease.name.clone()),
            annotations: Some(lease.annotations.clone()),
            resource_version,
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: lease.holder.clone(),
            lease_duration_seconds: lease.duration_seconds,
            acquire_time: time(&lease.acquire_time),
            renew_time: time(&lease.renew_time),
            ..Default::default()
        }),
    }
}
