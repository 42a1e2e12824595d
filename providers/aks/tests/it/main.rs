//! The AKS client against the project's ARM fake (tests/fakes, `aks`).
mod agent_pools;
mod common;
