//! Ctrl-C and SIGTERM stop the apply at the next safe point: every wait watches this flag, and a
//! step never stops between an action and the checkpoint of its handle.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Default)]
pub struct Cancel {
    requested: Arc<AtomicBool>,
    notify: Arc<tokio::sync::Notify>,
}

impl Cancel {
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Completes once cancellation is requested.
    pub async fn requested(&self) {
        while !self.is_requested() {
            let notified = self.notify.notified();
            if self.is_requested() {
                return;
            }
            notified.await;
        }
    }

    /// Sleeps `duration`, or less when cancellation is requested first: false then.
    pub async fn sleep(&self, duration: std::time::Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(duration) => true,
            _ = self.requested() => false,
        }
    }

    /// Turns SIGINT and SIGTERM, and stdout's reader going away (`apply --json | head`), into a
    /// cancellation request.
    pub fn listen_for_signals(&self) {
        let on_closed = self.clone();
        crate::output::when_closed(move || on_closed.request());
        let cancel = self.clone();
        tokio::spawn(async move {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return,
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            crate::eoutln!("\nkfscale: stopping at the next safe point (state is written; `kfscale apply` resumes)");
            cancel.request();
        });
    }
}
