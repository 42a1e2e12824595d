//! What the engine tells the operator: progress on stderr for people (a spinner with what is being
//! waited for, a line per step), or one JSON object per line on stdout for CI (`--json`).
use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;

pub struct Events {
    json: bool,
    /// Every JSON event carries the milliseconds since this, for timelines.
    started: std::time::Instant,
    spinner: Mutex<Option<indicatif::ProgressBar>>,
}

impl Events {
    pub fn new(json: bool) -> Events {
        Events {
            json,
            started: std::time::Instant::now(),
            spinner: Mutex::new(None),
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    pub fn emit(&self, event: &str, fields: serde_json::Value) {
        if self.json {
            let mut object = json!({
                "event": event,
                "time": crate::time::now_rfc3339(),
                "elapsed_ms": self.started.elapsed().as_millis() as u64,
            });
            if let (Some(target), Some(extra)) = (object.as_object_mut(), fields.as_object()) {
                target.extend(extra.clone());
            }
            println!("{object}");
        }
    }

    pub fn step_started(&self, step: &str, description: &str) {
        self.emit("step_started", json!({ "step": step, "description": description }));
        if !self.json {
            eprintln!("• {step}: {description}");
        }
    }

    pub fn step_finished(&self, step: &str, status: &str, summary: &str) {
        self.clear_wait();
        self.emit(
            "step_finished",
            json!({ "step": step, "status": status, "summary": summary }),
        );
        if !self.json {
            eprintln!("  {status}: {summary}");
        }
    }

    pub fn info(&self, step: &str, message: &str) {
        self.emit("info", json!({ "step": step, "message": message }));
        if !self.json {
            self.with_spinner_suspended(|| eprintln!("  {message}"));
        }
    }

    /// A retriable error kfscale rides out (inside a wait, or by running the step again).
    pub fn retrying(&self, step: &str, what: &str, message: &str) {
        self.emit("retrying", json!({ "step": step, "for": what, "error": message }));
        if !self.json {
            self.with_spinner_suspended(|| eprintln!("  retrying {what}: {message}"));
        }
    }

    /// Shows (or updates) the wait in progress: what, the latest figure from the system, and a
    /// bar when the step counts its share done (`fraction`, 0..=1).
    pub fn waiting(&self, step: &str, what: &str, progress: &str, elapsed: Duration, fraction: Option<f64>) {
        self.emit(
            "waiting",
            json!({ "step": step, "for": what, "progress": progress, "elapsed_s": elapsed.as_secs(), "fraction": fraction }),
        );
        if self.json {
            return;
        }
        let mut spinner = self.spinner.lock().unwrap_or_else(|p| p.into_inner());
        let bar = spinner.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let drawn = fraction.map(|f| format!("{} ", bar_text(f))).unwrap_or_default();
        bar.set_message(format!(
            "{drawn}waiting for {what}: {progress} ({}s)",
            elapsed.as_secs()
        ));
    }

    pub fn clear_wait(&self) {
        let mut spinner = self.spinner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bar) = spinner.take() {
            bar.finish_and_clear();
        }
    }

    fn with_spinner_suspended(&self, print: impl FnOnce()) {
        let spinner = self.spinner.lock().unwrap_or_else(|p| p.into_inner());
        match spinner.as_ref() {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

/// `[########------------] 40%`: a bar of 20 cells.
fn bar_text(fraction: f64) -> String {
    const CELLS: usize = 20;
    let fraction = fraction.clamp(0.0, 1.0);
    let full = (fraction * CELLS as f64).round() as usize;
    format!(
        "[{}{}] {:>3.0}%",
        "#".repeat(full),
        "-".repeat(CELLS - full),
        fraction * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::bar_text;

    #[test]
    fn the_bar_fills_with_the_share_done() {
        assert_eq!(bar_text(0.4), "[########------------]  40%");
        assert_eq!(bar_text(1.5), "[####################] 100%");
        assert_eq!(bar_text(0.0), "[--------------------]   0%");
    }
}
