//! The local rig: a real Kubernetes API server, real Helm, EKS through moto, the GKE, Kafka and Pinot
//! fakes and git, started by `tests/rig/start.sh`. This crate is the rig's Rust side: the long-running
//! `kfscale-rig` daemon that gives nodes and pods a life without a kubelet, and the helpers that tests
//! running on the rig share.
pub mod cluster;
pub mod eks;
pub mod env;
pub mod faults;
pub mod git;
pub mod gke;
pub mod helm;
pub mod names;
pub mod nodes;
pub mod pods;
pub mod volumes;
pub mod wait;

pub use env::RigEnv;

/// A deletion or update that found its object already gone has nothing left to do.
pub(crate) fn ignore_not_found<T>(result: kube::Result<T>) -> kube::Result<()> {
    match result {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(err) => Err(err),
    }
}
