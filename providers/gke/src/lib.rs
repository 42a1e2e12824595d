//! A thin client of GKE node pools (Google's `google-cloud-container-v1`, REST over reqwest): get a
//! pool with its current size per zone, setSize (per zone), setAutoscaling, get an operation, get the
//! cluster. No kfscale rules in here.
//!
//! Credentials are checked before any call ([`find_adc`]): without them Google's client would wait on
//! a metadata server that is not there. The first call has its own timeout for the same reason. An
//! explicit access token ([`Auth::AccessToken`]) serves tests and CI. Errors say whether a retry can
//! help ([`GkeError::is_retriable`]): 429 RESOURCE_EXHAUSTED and 400 FAILED_PRECONDITION "operation in
//! progress" can.
mod client;
mod credentials;
mod error;
mod instance_groups;
mod types;

pub use client::{Gke, GkeOptions};
pub use credentials::{AdcSource, Auth, find_adc};
pub use error::{ADC_FIX, GkeError};
pub use types::{Autoscaling, Cluster, NodePool, Operation, PoolRef};
