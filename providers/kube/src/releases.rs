//! Helm's release records as the API holds them: Secrets labelled `owner=helm` of type
//! `helm.sh/release.v1`, one per revision (`sh.helm.release.v1.<release>.v<N>`, labels `name` and
//! `version`). The newest revision of a release is its record.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};

use crate::{HelmReleaseRecord, Kube, KubeError, api, decode_release};

const RELEASE_TYPE: &str = "helm.sh/release.v1";

impl Kube {
    /// The newest release record of `release` in the client's namespace.
    pub async fn helm_release(&self, release: &str) -> Result<Option<HelmReleaseRecord>, KubeError> {
        let params = ListParams::default().labels(&format!("owner=helm,name={release}"));
        let secrets = Api::<Secret>::namespaced(self.client().clone(), self.namespace())
            .list(&params)
            .await
            .map_err(api("list Helm release records"))?;
        secrets.items.into_iter().max_by_key(version).map(decode).transpose()
    }

    /// Every revision of `release` the API still holds (Helm prunes past `--history-max`), as
    /// `(revision, status)` from the records' labels, oldest first: no payload is decoded.
    pub async fn helm_revisions(&self, release: &str) -> Result<Vec<(u32, String)>, KubeError> {
        let params = ListParams::default().labels(&format!("owner=helm,name={release}"));
        let secrets = Api::<Secret>::namespaced(self.client().clone(), self.namespace())
            .list(&params)
            .await
            .map_err(api("list Helm release records"))?;
        let mut revisions: Vec<(u32, String)> = secrets
            .items
            .iter()
            .map(|secret| (version(secret), label(secret, "status").unwrap_or_default()))
            .collect();
        revisions.sort();
        Ok(revisions)
    }

    /// The newest record of every release in the client's namespace, or in every namespace with
    /// `everywhere`; sorted by namespace and name.
    pub async fn helm_releases(&self, everywhere: bool) -> Result<Vec<HelmReleaseRecord>, KubeError> {
        let params = ListParams::default()
            .labels("owner=helm")
            .fields(&format!("type={RELEASE_TYPE}"));
        let records = match everywhere {
            true => Api::<Secret>::all(self.client().clone()),
            false => Api::<Secret>::namespaced(self.client().clone(), self.namespace()),
        };
        let secrets = records.list(&params).await.map_err(api("list Helm release records"))?;
        let mut newest: BTreeMap<(String, String), Secret> = BTreeMap::new();
        for secret in secrets.items {
            let key = (
                secret.metadata.namespace.clone().unwrap_or_default(),
                label(&secret, "name").unwrap_or_default(),
            );
            if newest.get(&key).is_none_or(|kept| version(kept) < version(&secret)) {
                newest.insert(key, secret);
            }
        }
        newest.into_values().map(decode).collect()
    }
}

fn label(secret: &Secret, key: &str) -> Option<String> {
    secret.metadata.labels.as_ref().and_then(|l| l.get(key)).cloned()
}

fn version(secret: &Secret) -> u32 {
    label(secret, "version").and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn decode(secret: Secret) -> Result<HelmReleaseRecord, KubeError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let payload = secret
        .data
        .as_ref()
        .and_then(|data| data.get("release"))
        .map(|bytes| bytes.0.clone())
        .ok_or_else(|| KubeError::Release {
            secret: name.clone(),
            message: "no `release` key".into(),
        })?;
    decode_release(&payload).map_err(|message| KubeError::Release { secret: name, message })
}
