//! Two operators racing (#15 item 3): two `kfscale apply` processes with separate state
//! directories and different holder identities start within milliseconds of each other against
//! one cluster. Exactly one gets the lock (and with it the approval prompt); the other exits 1
//! naming the holder and writes nothing. Twenty rounds at seeded random offsets, each cancelled at
//! the prompt; then a last round with `--auto-approve` on both, where the winner applies and EKS
//! sees exactly one resize.
use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::common::customer::{Customer, CustomerSpec, customer_cluster, text};
use crate::common::eks_proxy::{EksProxy, UPDATE_NODEGROUP_CONFIG};
use crate::common::leftovers::kube_of;

const ROUNDS: u64 = 20;

/// What a racer printed on stdout so far, read off a thread (the prompt has no newline after it).
struct Racer {
    who: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    shown: mpsc::Receiver<String>,
    seen: String,
}

impl Racer {
    fn spawn(customer: &Customer, who: &'static str, config: &str, auto_approve: bool) -> Result<Racer> {
        let mut args = vec!["apply", "--config", config, "--nodes", "4"];
        if auto_approve {
            args.push("--auto-approve");
        }
        let mut child = customer
            .command(&args)
            .env("USER", who)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdout = child.stdout.take().context("stdout")?;
        let (sender, shown) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 || sender.send(String::from_utf8_lossy(&buffer[..n]).into_owned()).is_err() {
                    break;
                }
            }
        });
        Ok(Racer {
            who,
            stdin: child.stdin.take(),
            child,
            shown,
            seen: String::new(),
        })
    }

    /// Whether the approval prompt has shown by now.
    fn prompting(&mut self) -> bool {
        while let Ok(chunk) = self.shown.try_recv() {
            self.seen.push_str(&chunk);
        }
        self.seen.contains("Enter a value")
    }
}

/// kfscale.yaml for `who`: the same cluster, a state directory of their own.
fn config_of(customer: &Customer, who: &str) -> Result<String> {
    let path = customer.config.with_file_name(format!("kfscale-{who}.yaml"));
    let text = std::fs::read_to_string(&customer.config)?;
    std::fs::write(
        &path,
        text.replace(
            "state: {dir: customer/.kfscale}",
            &format!("state: {{dir: {who}-state}}"),
        ),
    )?;
    Ok(path.to_str().context("path")?.to_string())
}

/// Starts both, `offset` apart (the first of them chosen by `alice_first`), and returns them.
fn race(
    customer: &Customer,
    configs: &[String; 2],
    offset: Duration,
    alice_first: bool,
    auto_approve: bool,
) -> Result<[Racer; 2]> {
    let (first, second) = if alice_first { (0, 1) } else { (1, 0) };
    let names = ["alice", "bob"];
    let a = Racer::spawn(customer, names[first], &configs[first], auto_approve)?;
    std::thread::sleep(offset);
    let b = Racer::spawn(customer, names[second], &configs[second], auto_approve)?;
    Ok([a, b])
}

/// The loser's exit: 1, naming the holder (the winner), and no state of its own.
fn assert_refused(customer: &Customer, loser: &mut Racer, winner: &str) -> Result<()> {
    let output = loser.child.wait_with_output_ref()?;
    let (_, stderr) = text(&output);
    ensure!(
        output.status.code() == Some(1),
        "{} exited {}: {stderr}",
        loser.who,
        output.status
    );
    ensure!(
        stderr.contains(&format!("the cluster is locked by {winner}@")),
        "{} does not name {winner} as the holder: {stderr}",
        loser.who
    );
    let state = customer
        .config
        .with_file_name(format!("{}-state", loser.who))
        .join("state.json");
    ensure!(!state.exists(), "the refused {} wrote a state", loser.who);
    Ok(())
}

trait WaitRef {
    fn wait_with_output_ref(&mut self) -> Result<std::process::Output>;
}

impl WaitRef for Child {
    /// Waits for the child (stdout is read by the racer's thread): its status and stderr.
    fn wait_with_output_ref(&mut self) -> Result<std::process::Output> {
        let mut stderr = Vec::new();
        if let Some(mut pipe) = self.stderr.take() {
            pipe.read_to_end(&mut stderr)?;
        }
        let status = self.wait()?;
        Ok(std::process::Output {
            status,
            stdout: Vec::new(),
            stderr,
        })
    }
}

/// Which racer won: the one at the prompt while the other has exited. Waits up to 2 minutes.
fn winner_at_the_prompt(racers: &mut [Racer; 2]) -> Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let exited: Vec<bool> = racers
            .iter_mut()
            .map(|r| r.child.try_wait().map(|s| s.is_some()))
            .collect::<std::io::Result<_>>()?;
        let prompting: Vec<bool> = racers.iter_mut().map(Racer::prompting).collect();
        match (exited[0], exited[1], prompting[0], prompting[1]) {
            (_, _, true, true) => bail!("both racers reached the approval prompt"),
            (false, true, true, false) => return Ok(0),
            (true, false, false, true) => return Ok(1),
            (true, true, _, _) => bail!("both racers exited"),
            _ => {}
        }
        ensure!(Instant::now() < deadline, "no winner within 2 minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_operators_racing_one_acts_and_the_other_names_the_holder() -> Result<()> {
    let proxy = EksProxy::start(&kfscale_rig::RigEnv::from_env()?).await?;
    let customer = customer_cluster(CustomerSpec {
        eks_endpoint: Some(proxy.url().to_string()),
        ..CustomerSpec::single_az("race")
    })
    .await?;
    let configs = [config_of(&customer, "alice")?, config_of(&customer, "bob")?];
    let kube = kube_of(&customer).await?;
    let mut seed = 0x5eed_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };

    for round in 0..ROUNDS {
        let offset = Duration::from_millis(next(30));
        let mut racers = race(&customer, &configs, offset, next(2) == 0, false)?;
        let won = winner_at_the_prompt(&mut racers)?;
        let winner = racers[won].who;
        assert_refused(&customer, &mut racers[1 - won], winner)
            .with_context(|| format!("round {round}, offset {offset:?}"))?;
        // The winner says no: nothing changes, and the lock is free for the next round.
        racers[won].stdin.take().context("stdin")?.write_all(b"no\n")?;
        let status = racers[won].child.wait()?;
        ensure!(
            status.code() == Some(1),
            "round {round}: the cancelled apply exited {status}"
        );
        ensure!(
            kube.lease(kfscale::engine::lock::LEASE_NAME).await?.is_none(),
            "round {round}: the lease outlived the cancelled apply"
        );
    }
    ensure!(
        proxy.forwarded(UPDATE_NODEGROUP_CONFIG) == 0,
        "a cancelled round resized the pool"
    );
    assert_eq!(customer.eks_desired_size().await?, Some(3));

    // Both approve: the winner applies, the loser is refused, and EKS sees one resize.
    let mut racers = race(&customer, &configs, Duration::from_millis(next(30)), next(2) == 0, true)?;
    let outputs = [
        racers[0].child.wait_with_output_ref()?,
        racers[1].child.wait_with_output_ref()?,
    ];
    let won = match (outputs[0].status.success(), outputs[1].status.success()) {
        (true, false) => 0,
        (false, true) => 1,
        _ => bail!(
            "not exactly one apply succeeded: alice/bob {} {}:\n{}\n{}",
            outputs[0].status,
            outputs[1].status,
            text(&outputs[0]).1,
            text(&outputs[1]).1
        ),
    };
    let (_, loser_stderr) = text(&outputs[1 - won]);
    ensure!(
        loser_stderr.contains(&format!("the cluster is locked by {}@", racers[won].who)),
        "{loser_stderr}"
    );
    assert_eq!(
        proxy.forwarded(UPDATE_NODEGROUP_CONFIG),
        1,
        "EKS resized more than once"
    );
    assert_eq!(customer.eks_desired_size().await?, Some(4));
    let loser_state = customer
        .config
        .with_file_name(format!("{}-state", racers[1 - won].who))
        .join("state.json");
    ensure!(!loser_state.exists(), "the refused apply wrote a state");
    Ok(())
}
