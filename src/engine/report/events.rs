//! What the engine tells the operator: progress on stderr for people (a line per step; each wait
//! as a bar on a terminal or as plain lines in a log, `wait_style.rs`), or one JSON object per
//! line on stdout for CI (`--json`).
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use super::line_schedule::LineSchedule;
use super::live_bar::LiveBar;
use super::progress::Progress;
use super::rate::{RateMeter, eta_at_rate};
use super::wait_style::{self, WaitStyle};
use super::wait_view::{Counted, WaitView};

pub struct Events {
    json: bool,
    /// Every JSON event carries the milliseconds since this, for timelines.
    started: Instant,
    style: WaitStyle,
    wait: Mutex<Option<Wait>>,
}

/// The wait in progress: which one, the rate seen in it so far, and how it is drawn.
struct Wait {
    step: String,
    what: String,
    rate: RateMeter,
    shown: Shown,
}

enum Shown {
    Bar(LiveBar),
    Lines(LineSchedule),
    /// `--json`: the events say it all.
    Nothing,
}

impl Events {
    pub fn new(json: bool) -> Events {
        Events {
            json,
            started: Instant::now(),
            style: wait_style::for_this_process(json),
            wait: Mutex::new(None),
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
            crate::outln!("{object}");
        }
    }

    pub fn step_started(&self, step: &str, description: &str) {
        self.emit("step_started", json!({ "step": step, "description": description }));
        if !self.json {
            crate::eoutln!("• {step}: {description}");
        }
    }

    pub fn step_finished(&self, step: &str, status: &str, summary: &str) {
        self.clear_wait();
        self.emit(
            "step_finished",
            json!({ "step": step, "status": status, "summary": summary }),
        );
        if !self.json {
            crate::eoutln!("  {status}: {summary}");
        }
    }

    pub fn info(&self, step: &str, message: &str) {
        self.emit("info", json!({ "step": step, "message": message }));
        if !self.json {
            self.with_bar_suspended(|| crate::eoutln!("  {message}"));
        }
    }

    /// A retriable error kfscale rides out (inside a wait, or by running the step again).
    pub fn retrying(&self, step: &str, what: &str, message: &str) {
        self.emit("retrying", json!({ "step": step, "for": what, "error": message }));
        if !self.json {
            self.with_bar_suspended(|| crate::eoutln!("  retrying {what}: {message}"));
        }
    }

    /// Shows (or updates) the wait in progress: what, the system's latest words, and the step's
    /// figures when it counts them (done and total, its own ETA): a bar with bytes, rate and ETA
    /// for a data copy, a share-done bar for other counts, a spinner else; in a log, a plain line
    /// at the first figures, each tenth done and at least every 30 s.
    pub fn waiting(&self, step: &str, what: &str, progress: &str, elapsed: Duration, figures: Option<&Progress>) {
        let now = Instant::now();
        let mut wait = self.wait.lock().unwrap_or_else(|p| p.into_inner());
        // Another wait than the one shown: it starts afresh (its own bar, rate and lines).
        if wait.as_ref().is_some_and(|w| w.step != step || w.what != what) {
            end(wait.take());
        }
        let current = wait.get_or_insert_with(|| Wait {
            step: step.to_string(),
            what: what.to_string(),
            rate: RateMeter::default(),
            shown: match self.style {
                WaitStyle::Bar { colour } => Shown::Bar(LiveBar::on_stderr(colour)),
                WaitStyle::Lines => Shown::Lines(LineSchedule::default()),
                WaitStyle::Json => Shown::Nothing,
            },
        });
        let counted = figures.and_then(|f| {
            Some(Counted {
                done: f.done?,
                total: f.total?,
                unit: &f.unit,
            })
        });
        let per_second = counted.and_then(|c| current.rate.observe(now, c.done));
        let own_eta = figures.and_then(|f| f.eta_seconds.map(|s| (s, f.eta_from.as_deref().unwrap_or(""))));
        let (eta_seconds, eta_from) = match own_eta {
            Some((seconds, from)) => (Some(seconds), Some(from)),
            None => {
                let at_rate = counted.and_then(|c| eta_at_rate(c.total - c.done, per_second));
                (at_rate, at_rate.map(|_| "the rate seen during this wait"))
            }
        };
        let view = WaitView {
            what,
            text: progress,
            elapsed,
            counted,
            per_second,
            eta_seconds,
        };
        self.emit("waiting", waiting_fields(step, &view, eta_from));
        match &mut current.shown {
            Shown::Bar(bar) => bar.show(&view),
            Shown::Lines(schedule) => {
                if schedule.due(now, view.fraction()) {
                    crate::eoutln!("{}", view.line());
                }
            }
            Shown::Nothing => {}
        }
    }

    pub fn clear_wait(&self) {
        let mut wait = self.wait.lock().unwrap_or_else(|p| p.into_inner());
        end(wait.take());
    }

    fn with_bar_suspended(&self, print: impl FnOnce()) {
        let wait = self.wait.lock().unwrap_or_else(|p| p.into_inner());
        match wait.as_ref().map(|w| &w.shown) {
            Some(Shown::Bar(bar)) => bar.suspend(print),
            _ => print(),
        }
    }
}

/// Clears a wait's bar from the terminal (lines stay in the log).
fn end(wait: Option<Wait>) {
    if let Some(Wait {
        shown: Shown::Bar(bar), ..
    }) = wait
    {
        bar.finish();
    }
}

/// The `waiting` event: `step`, `for`, `progress`, `elapsed_s` and `fraction` (null when not
/// counted) always; `done`, `total` and `unit` when the step counts, `per_second` once the count
/// moved, `eta_seconds` and `eta_from` when known.
fn waiting_fields(step: &str, view: &WaitView, eta_from: Option<&str>) -> serde_json::Value {
    let mut fields = json!({
        "step": step,
        "for": view.what,
        "progress": view.text,
        "elapsed_s": view.elapsed.as_secs(),
        "fraction": view.fraction(),
    });
    if let Some(object) = fields.as_object_mut() {
        if let Some(counted) = view.counted {
            object.insert("done".into(), json!(counted.done));
            object.insert("total".into(), json!(counted.total));
            object.insert("unit".into(), json!(counted.unit));
        }
        if let Some(rate) = view.per_second {
            object.insert("per_second".into(), json!(rate));
        }
        if let (Some(seconds), Some(from)) = (view.eta_seconds, eta_from) {
            object.insert("eta_seconds".into(), json!(seconds));
            object.insert("eta_from".into(), json!(from));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_waiting_event_carries_the_copy_figures() {
        let view = WaitView {
            what: "partition moves",
            text: "6/18 partitions moved",
            elapsed: Duration::from_secs(12),
            counted: Some(Counted {
                done: 100.0,
                total: 400.0,
                unit: "bytes",
            }),
            per_second: Some(25.0),
            eta_seconds: Some(30),
        };
        assert_eq!(
            waiting_fields("kafka_reassignment", &view, Some("the throttle")),
            json!({
                "step": "kafka_reassignment", "for": "partition moves", "progress": "6/18 partitions moved",
                "elapsed_s": 12, "fraction": 0.25, "done": 100.0, "total": 400.0, "unit": "bytes",
                "per_second": 25.0, "eta_seconds": 30, "eta_from": "the throttle",
            })
        );
        let uncounted = WaitView {
            counted: None,
            per_second: None,
            eta_seconds: None,
            ..view
        };
        assert_eq!(
            waiting_fields("rollout", &uncounted, None),
            json!({
                "step": "rollout", "for": "partition moves", "progress": "6/18 partitions moved",
                "elapsed_s": 12, "fraction": null,
            })
        );
    }
}
