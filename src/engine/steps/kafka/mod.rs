//! The Kafka steps: make sure every topic has its planned partitions, then move replicas onto the
//! new brokers under a replication throttle, in waves, then elect the preferred leaders of the
//! partitions moved; validate checks Kafka's health last.
//!
//! Why the reassignment is recomputed from the live cluster at apply time instead of taken from
//! the plan: the plan's assignment is an estimate of the world after the Helm upgrade, made before
//! it. Between plan and reassignment the chart's topic job creates the new partitions wherever
//! Kafka's controller places them (not where the plan guessed), the new brokers register with racks
//! that are known only once their pods run, and a customer's own reassignment may have moved
//! something. Moving from the plan's assumed starting point would move the wrong replicas, or
//! replicas that no longer exist. So the step runs the same pure balancer over the live assignment
//! once, records the exact moves before sending any (the handle a resumed apply follows), and the
//! plan's figures remain what they were: the expected movement, shown for review.
mod copy_bound;
mod copy_figures;
mod elections;
pub mod health;
pub mod leaders;
mod live;
mod moves;
#[cfg(test)]
mod moves_model;
#[cfg(test)]
mod moves_properties;
pub mod partitions;
pub mod reassignment;
mod throttle;
