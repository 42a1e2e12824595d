//! AKS agent pools through Azure Resource Manager, as kfscale uses them: read a pool
//! (`AgentPools_Get`), PUT its count and autoscaler bounds (`AgentPools_CreateOrUpdate`, a
//! long-running operation), and follow the operation at its `Azure-AsyncOperation` URL. REST on
//! reqwest, following the azure-rest-api-specs containerservice spec; credentials through the
//! official azure_identity crate. No kfscale domain rules here.
mod body;
mod client;
mod credentials;
mod error;
mod types;

pub use body::scaled;
pub use client::{API_VERSION, Aks, AksOptions};
pub use credentials::{Credentials, TOKEN_FILE_FIX};
pub use error::{AksError, ArmFailure};
pub use types::{Accepted, AgentPool, Cloud, OperationState, OperationStatus, PoolRef};
