//! The Kafka wire protocol side: framing, per-broker listeners, request dispatch and version
//! negotiation, on the `kafka-protocol` crate's broker-side codecs.
pub mod dispatch;
pub mod frame;
pub mod listeners;
