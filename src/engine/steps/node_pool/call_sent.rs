//! Whether a resize call went out, answered or not. A call a cloud carried out whose answer was lost
//! (a 5xx, a timeout) leaves the pool as wanted; the retry that finds it so must know the change is
//! this apply's (done, not skipped), and GKE's must follow the operation instead of sending again.
//! The flag is set before the call goes out, cleared by a refusal that changed nothing, and recorded
//! as a handle so a resumed run knows it too.
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::context::{StepContext, StepError};
use crate::engine::handle::HandleKey;

pub(super) struct CallSent {
    key: &'static HandleKey<bool>,
    flag: AtomicBool,
}

impl CallSent {
    /// As the state has it: set when an earlier run sent the call.
    pub(super) fn from_state(ctx: &mut StepContext<'_>, key: &'static HandleKey<bool>) -> CallSent {
        CallSent {
            key,
            flag: AtomicBool::new(ctx.handle(key).unwrap_or(false)),
        }
    }

    /// Sends `call`, marked as maybe carried out unless `refused_for_now` says the cloud refused it
    /// having changed nothing.
    pub(super) async fn send<T, E>(
        &self,
        call: impl Future<Output = Result<T, E>>,
        refused_for_now: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        self.flag.store(true, Ordering::Relaxed);
        let answer = call.await;
        if answer.as_ref().is_err_and(refused_for_now) {
            self.flag.store(false, Ordering::Relaxed);
        }
        answer
    }

    /// Whether the call may have been carried out (by this run or an earlier one).
    pub(super) fn maybe_carried_out(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Records that the call went out, if it did; returns whether this apply ever sent it.
    pub(super) fn record(&self, ctx: &mut StepContext<'_>) -> Result<bool, StepError> {
        if self.maybe_carried_out() {
            ctx.record_handle(self.key, &true)?;
        }
        Ok(ctx.handle(self.key).unwrap_or(false))
    }
}
