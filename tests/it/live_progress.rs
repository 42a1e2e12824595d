//! What an operator sees while the Kafka replicas copy, on a real terminal and in a log: the same
//! apply (EKS 6 -> 9 nodes, replicas moving under a throttle on the Kafka fake's model clock) run
//! once with its output on a pseudo-terminal, where the wait is a bar redrawn in place with bytes
//! done and total, the rate and the ETA; and once with stderr piped, where it is plain lines at
//! each tenth done, with no carriage return and no escape code.
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Result, ensure};

use crate::common::customer::{CustomerSpec, customer_cluster, text};
use crate::common::pty::{frames, run_on_terminal};

/// Model seconds per wall second of the Kafka fake: a 2 GiB move at the 100 MB/s throttle takes
/// under a second, so the copy spans many polls (200 ms) and several waves.
const KAFKA_SPEED: f64 = 25.0;

/// The prefix of every frame of the copy's bar (the bar's own template, `live_bar.rs`).
const BAR: &str = "waiting for partition moves [";
/// The start of every plain line of the copy (`wait_view.rs`).
const LINE: &str = "  waiting for partition moves (";

#[tokio::test(flavor = "multi_thread")]
async fn progress_on_a_terminal_is_a_bar_with_bytes_rate_and_eta() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::moving_replicas("progress-tty", KAFKA_SPEED)).await?;
    let mut command = customer.command(&customer.apply_args("9")?);
    // Colour allowed, as on an operator's terminal: the frames are read without their escapes.
    command.env_remove("NO_COLOR");
    let (status, received) = run_on_terminal(command, 200)?;
    let shown = frames(&received);
    ensure!(status.success(), "apply failed ({status}):\n{}", shown.join("\n"));
    let moves = customer.step_record("kafka_reassignment")?;
    ensure!(moves["status"] == "done", "the apply must move replicas: {moves}");

    // Drawn in place: cursor and line-clearing sequences, not a line per update.
    ensure!(
        received.windows(2).any(|w| w == b"\x1b["),
        "no escape sequence on the terminal"
    );
    let bars: Vec<&String> = shown.iter().filter(|frame| frame.contains(BAR)).collect();
    ensure!(
        !bars.is_empty(),
        "no bar of the copy on the terminal:\n{}",
        shown.join("\n")
    );
    // `[=====>   ] 2.00 GiB/18.00 GiB 95.37 MiB/s ETA 12s 6/18 partitions moved ... (3s)`
    let figures: Vec<CopyFrame> = bars.iter().filter_map(|frame| CopyFrame::read(frame)).collect();
    ensure!(
        figures.len() == bars.len(),
        "a bar frame without bytes done/total, rate and ETA:\n{}",
        bars.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
    ensure!(
        figures.iter().all(|f| f.total.ends_with("iB") && f.done.ends_with('B')),
        "{figures:?}"
    );
    ensure!(
        figures
            .iter()
            .any(|f| f.rate.ends_with("B/s") && f.eta != "-" && f.done != "0 B"),
        "no frame with bytes copied, a rate and an ETA: {figures:?}"
    );
    ensure!(
        !shown.iter().any(|line| line.starts_with(LINE)),
        "plain progress lines on a terminal:\n{}",
        shown.join("\n")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_into_a_pipe_is_plain_lines_without_cr_or_escapes() -> Result<()> {
    let customer = customer_cluster(CustomerSpec::moving_replicas("progress-pipe", KAFKA_SPEED)).await?;
    let mut command = customer.command(&customer.apply_args("9")?);
    // Whatever the terminal would be, stderr is a pipe here.
    command.env("TERM", "xterm-256color").env_remove("NO_COLOR");
    let started = Instant::now();
    let output = command.stdin(Stdio::null()).output()?;
    let wall = started.elapsed();
    let (stdout, stderr) = text(&output);
    ensure!(output.status.success(), "apply failed:\n{stderr}\n{stdout}");
    let moves = customer.step_record("kafka_reassignment")?;
    ensure!(moves["status"] == "done", "the apply must move replicas: {moves}");

    ensure!(
        !output.stderr.contains(&b'\r') && !output.stderr.contains(&0x1b),
        "a carriage return or escape code in the log:\n{stderr:?}"
    );
    // `  waiting for partition moves (33%): 6.00 GiB of 18.00 GiB at 95.37 MiB/s, about 2m 05s left; 6/18 ... (3s)`
    let lines: Vec<&str> = stderr.lines().filter(|line| line.starts_with(LINE)).collect();
    ensure!(lines.len() >= 2, "fewer than two progress lines of the copy:\n{stderr}");
    let percents: Vec<u32> = lines
        .iter()
        .filter_map(|line| line[LINE.len()..].split('%').next()?.parse().ok())
        .collect();
    ensure!(
        percents.len() == lines.len(),
        "a line without its share done:\n{stderr}"
    );
    ensure!(
        lines
            .iter()
            .all(|line| line.contains(" B of ") || line.contains("iB of ")),
        "a line without bytes done and total:\n{stderr}"
    );
    ensure!(
        lines
            .iter()
            .any(|line| line.contains("/s, about ") && line.contains(" left; ")),
        "no line with a rate and the time left:\n{stderr}"
    );
    // A line per tenth done, plus one per 30 s at most: never one per poll.
    let most = 11 + wall.as_secs() / 30 + 1;
    ensure!(
        lines.len() as u64 <= most,
        "{} lines in {wall:?}, more than {most}:\n{stderr}",
        lines.len()
    );
    ensure!(
        percents.windows(2).all(|w| w[0] <= w[1]) && percents.last() > percents.first(),
        "the share done must grow from line to line: {percents:?}"
    );
    Ok(())
}

/// The figures of one frame of the copy's bar.
#[derive(Debug)]
struct CopyFrame {
    done: String,
    total: String,
    rate: String,
    eta: String,
}

impl CopyFrame {
    /// From `... [====>   ] 2.00 GiB/18.00 GiB 95.37 MiB/s ETA 12s ...`.
    fn read(frame: &str) -> Option<CopyFrame> {
        let after_bar = frame.split_once("] ")?.1;
        let (sizes, rest) = after_bar.split_once(" ETA ")?;
        let eta = rest.split(' ').next()?;
        // Sizes and rate: `2.00 GiB/18.00 GiB 95.37 MiB/s` or `0 B/18.00 GiB -`.
        let words: Vec<&str> = sizes.split(' ').collect();
        let (done_total, rate) = match words.as_slice() {
            [n1, u1_n2, u2, rate_n, rate_u] => (format!("{n1} {u1_n2} {u2}"), format!("{rate_n} {rate_u}")),
            [n1, u1_n2, u2, dash] => (format!("{n1} {u1_n2} {u2}"), dash.to_string()),
            _ => return None,
        };
        let (done, total) = done_total.split_once('/')?;
        Some(CopyFrame {
            done: done.to_string(),
            total: total.to_string(),
            rate,
            eta: eta.to_string(),
        })
    }
}
