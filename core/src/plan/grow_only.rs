//! A scale-out never lowers anything live. Every step that sets a size (node-pool desired, min and
//! max; a GKE pool's per-zone count; a partition count; a volume; a workload's replicas) asks this
//! one function first, with what is live now and what the plan wants. Live above the plan means the
//! world moved after the plan (an autoscaler, a colleague): acting would shrink it, so the step
//! refuses, naming both numbers.
use std::fmt;

/// What a live figure and its planned value call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    /// Live is below the target: raise it to `target`.
    Raise { live: u64, target: u64 },
    /// Live is the target already: nothing to send.
    AtTarget(u64),
}

/// Live is above the plan: refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WouldShrink {
    pub what: String,
    pub live: u64,
    pub target: u64,
}

impl fmt::Display for WouldShrink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is {} now, above the planned {}: it grew after the plan was made, and applying the plan would lower it; nothing was changed. fix: run `kfscale plan` again so the plan starts from {}",
            self.what, self.live, self.target, self.live
        )
    }
}

impl std::error::Error for WouldShrink {}

/// The one check before any size is set.
pub fn grow_only(what: impl Into<String>, live: u64, target: u64) -> Result<Growth, WouldShrink> {
    match live.cmp(&target) {
        std::cmp::Ordering::Less => Ok(Growth::Raise { live, target }),
        std::cmp::Ordering::Equal => Ok(Growth::AtTarget(target)),
        std::cmp::Ordering::Greater => Err(WouldShrink {
            what: what.into(),
            live,
            target,
        }),
    }
}

/// A bound (a pool's min or max) sent along with a resize: the planned value, but never below
/// what is live (a bound someone raised after the plan stays raised).
pub fn never_below(live: u64, planned: u64) -> u64 {
    live.max(planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raises_keeps_or_refuses_naming_both_numbers() {
        assert_eq!(grow_only("desired", 6, 9), Ok(Growth::Raise { live: 6, target: 9 }));
        assert_eq!(grow_only("desired", 9, 9), Ok(Growth::AtTarget(9)));
        let refused = grow_only("EKS node group kfuse desired size", 12, 9).unwrap_err();
        let text = refused.to_string();
        assert!(
            text.contains("is 12 now, above the planned 9") && text.contains("kfscale plan"),
            "{text}"
        );
        assert_eq!(never_below(5, 3), 5);
        assert_eq!(never_below(3, 5), 5);
    }
}
