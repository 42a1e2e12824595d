//! The checklist for people: one line per check (`GREEN  name  summary`), its evidence indented
//! under it, the fix of a check that is not green, and a last line with the verdict.
use std::fmt::Write;

use super::check::{Report, Status};
use crate::render::Style;

pub fn render_report(report: &Report, s: Style) -> String {
    let mut out = String::new();
    let width = report.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for check in &report.checks {
        let status = paint(check.status, s);
        let _ = writeln!(out, "{status}  {:width$}  {}", check.name, check.summary);
        for line in &check.evidence {
            let _ = writeln!(out, "        {:width$}    {line}", "");
        }
        if check.status != Status::Green && !check.fix.is_empty() {
            let _ = writeln!(out, "        {:width$}    {} {}", "", s.dim("fix:"), check.fix);
        }
    }
    let count = |status: Status| report.checks.iter().filter(|c| c.status == status).count();
    let requests: Vec<String> = report.requests.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(
        out,
        "\n{} {} green, {} yellow, {} red ({:.1} s; requests: {}).",
        s.bold(&format!("Verify: {}.", report.status.as_str())),
        count(Status::Green),
        count(Status::Yellow),
        count(Status::Red),
        report.elapsed_ms as f64 / 1000.0,
        requests.join(", ")
    );
    out
}

/// `GREEN ` / `YELLOW` / `RED   `, padded to one width before painting.
fn paint(status: Status, s: Style) -> String {
    let text = format!("{:<6}", status.as_str());
    match status {
        Status::Green => s.green(&text),
        Status::Yellow => s.yellow(&text),
        Status::Red => s.red(&s.bold(&text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Check;

    #[test]
    fn each_check_is_a_line_with_its_evidence_under_it() {
        let report = Report {
            status: Status::Red,
            checks: vec![
                Check::green("workloads", "all 3 workloads Ready (9 pods)"),
                Check::red("kafka-throttles", "1 replication throttle(s) left behind")
                    .evidence(["broker 101: leader.replication.throttled.rate=1000".to_string()])
                    .fix("remove them"),
            ],
            requests: [("kafka".to_string(), 7)].into(),
            elapsed_ms: 1500,
            lag_window_ms: 1000,
            lag_samples: 3,
        };
        let text = render_report(&report, Style::plain());
        assert_eq!(
            text,
            "GREEN   workloads        all 3 workloads Ready (9 pods)\n\
             RED     kafka-throttles  1 replication throttle(s) left behind\n\
             \x20                          broker 101: leader.replication.throttled.rate=1000\n\
             \x20                          fix: remove them\n\
             \nVerify: RED. 1 green, 0 yellow, 1 red (1.5 s; requests: kafka 7).\n"
        );
    }
}
