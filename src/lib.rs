//! kfscale: plan and apply a Kloudfuse scale-out.
pub mod balance;
pub mod cli;
pub mod logging;
