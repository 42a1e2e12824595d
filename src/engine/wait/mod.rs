//! How the engine waits without hanging or hammering: capped exponential backoff with jitter and
//! a retry budget, cancellation at safe points (signals), and stall detection for long waits.
pub mod backoff;
pub mod cancel;
pub mod stall;
