//! A pool's current size per zone. GKE never updates `initialNodeCount` on resize; each zone's size
//! is the `targetSize` of the managed instance group behind the pool's `instanceGroupUrls`
//! (`compute.instanceGroupManagers.get`, read the same way by Terraform's google provider). The
//! container client does not make this call, so it is a plain authorised GET.
use std::collections::BTreeMap;

use google_cloud_auth::credentials::Credentials;
use reqwest::Url;
use serde::Deserialize;

use crate::credentials::auth_headers;
use crate::error::{ADC_FIX, GkeError};

const CALL: &str = "compute.instanceGroupManagers.get";

/// Hosts an instance group URL may point at; a token is never sent anywhere else.
pub(crate) struct TrustedHosts {
    hosts: Vec<(String, Option<u16>)>,
}

impl TrustedHosts {
    /// Google's API hosts, plus the host of an endpoint override (a test fake hands out its own URLs).
    pub(crate) fn new(endpoint: Option<&str>) -> TrustedHosts {
        let mut hosts = vec![
            ("www.googleapis.com".to_string(), None),
            ("compute.googleapis.com".to_string(), None),
        ];
        if let Some(url) = endpoint.and_then(|e| Url::parse(e).ok())
            && let Some(host) = url.host_str()
        {
            hosts.push((host.to_string(), url.port_or_known_default()));
        }
        TrustedHosts { hosts }
    }

    fn allows(&self, url: &Url) -> bool {
        let (Some(host), port) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        self.hosts
            .iter()
            .any(|(h, p)| h == host && p.is_none_or(|p| Some(p) == port))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstanceGroupManager {
    #[serde(default)]
    target_size: u32,
}

#[derive(Deserialize)]
struct GoogleErrorBody {
    error: GoogleError,
}

#[derive(Deserialize)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
}

/// zone -> targetSize of each instance group URL.
pub(crate) async fn target_sizes(
    http: &reqwest::Client,
    credentials: &Credentials,
    trusted: &TrustedHosts,
    pool: &str,
    urls: &[String],
    count: &(dyn Fn() + Sync),
) -> Result<BTreeMap<String, u32>, GkeError> {
    let error =
        |resource: &str, code: &str, http_status: Option<u16>, message: String, fix: &str, retriable| GkeError::Api {
            call: CALL,
            resource: resource.to_string(),
            code: code.to_string(),
            http_status,
            message,
            fix: fix.to_string(),
            retriable,
        };
    let headers = auth_headers(credentials)
        .await
        .map_err(|message| error(pool, "UNAUTHENTICATED", None, message, ADC_FIX, false))?;
    let mut sizes = BTreeMap::new();
    for text in urls {
        let url = Url::parse(text).map_err(|err| {
            error(
                text,
                "INVALID_URL",
                None,
                err.to_string(),
                "report this: GKE returned an instance group URL that does not parse",
                false,
            )
        })?;
        if !trusted.allows(&url) {
            return Err(error(
                text,
                "UNTRUSTED_HOST",
                None,
                "the instance group URL points at a host that is neither Google's API nor cluster.gcp.endpoint".into(),
                "check cluster.gcp.endpoint in kfscale.yaml: credentials are only sent to Google or that endpoint",
                false,
            ));
        }
        let zone = zone_of(&url).ok_or_else(|| {
            error(
                text,
                "INVALID_URL",
                None,
                "no zones/<zone> in the instance group URL".into(),
                "report this: GKE returned an unexpected instance group URL",
                false,
            )
        })?;
        count();
        let response = http
            .get(url.clone())
            .headers(headers.clone())
            .send()
            .await
            .map_err(|err| {
                error(
                    text,
                    if err.is_timeout() { "TIMEOUT" } else { "UNREACHABLE" },
                    None,
                    err.to_string(),
                    "check the network path to compute.googleapis.com (or cluster.gcp.endpoint in kfscale.yaml)",
                    true,
                )
            })?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        if status != 200 {
            let google = serde_json::from_str::<GoogleErrorBody>(&body).ok();
            let (code, message) = google.map_or_else(
                || (format!("HTTP_{status}"), body.chars().take(200).collect()),
                |g| (g.error.status, g.error.message),
            );
            let fix = match status {
                404 => {
                    "the pool's instance group is gone (the pool is being recreated or deleted?): re-run when the \
                        pool is RUNNING"
                }
                401 => ADC_FIX,
                403 => {
                    "the credentials lack compute.instanceGroupManagers.get on the project: grant \
                        roles/compute.viewer, or use other credentials"
                }
                _ => "see the Compute Engine message; kfscale retries transient errors",
            };
            return Err(error(
                text,
                &code,
                Some(status),
                message,
                fix,
                status == 429 || status >= 500,
            ));
        }
        let manager: InstanceGroupManager = serde_json::from_str(&body).map_err(|err| {
            error(
                text,
                "INVALID_ANSWER",
                Some(status),
                err.to_string(),
                "check that cluster.gcp.endpoint is a GKE API endpoint",
                false,
            )
        })?;
        *sizes.entry(zone).or_default() += manager.target_size;
    }
    Ok(sizes)
}

/// `.../zones/{zone}/instanceGroupManagers/{name}` -> zone.
fn zone_of(url: &Url) -> Option<String> {
    let mut segments = url.path_segments()?;
    segments.by_ref().find(|s| *s == "zones")?;
    segments.next().filter(|z| !z.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_come_from_the_url() {
        let url = Url::parse(
            "https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/instanceGroupManagers/gke-x-grp",
        )
        .unwrap();
        assert_eq!(zone_of(&url).as_deref(), Some("us-central1-a"));
        assert_eq!(zone_of(&Url::parse("https://x/compute/v1/projects/p").unwrap()), None);
    }

    #[test]
    fn tokens_go_only_to_google_or_the_endpoint() {
        let trusted = TrustedHosts::new(Some("http://127.0.0.1:4567"));
        for ok in [
            "https://www.googleapis.com/compute/v1/x",
            "https://compute.googleapis.com/compute/v1/x",
            "http://127.0.0.1:4567/compute/v1/x",
        ] {
            assert!(trusted.allows(&Url::parse(ok).unwrap()), "{ok}");
        }
        for bad in ["http://127.0.0.1:9999/compute", "https://evil.example/compute"] {
            assert!(!trusted.allows(&Url::parse(bad).unwrap()), "{bad}");
        }
    }
}
