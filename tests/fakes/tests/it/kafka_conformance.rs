//! Runs the conformance suite (tests/fakes/conformance/kafka/test_admin.py): kafka-python
//! 3.0.12's KafkaAdminClient, an independent real client, against the `fake-kafka` binary. The
//! interpreter is the rig's venv python (KFSCALE_RIG_PYTHON, exported by scripts/test); without it
//! the test fails, it never skips.
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The whole suite takes well under a minute; a hang must still end the test.
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn kafka_python_admin_client_conforms_to_the_fake() {
    let python = std::env::var("KFSCALE_RIG_PYTHON").unwrap_or_else(|_| {
        panic!(
            "KFSCALE_RIG_PYTHON is not set, so there is no Python with kafka-python 3.0.12 to run the Kafka \
             conformance suite: run the tests through scripts/test (it installs the rig's venv and exports the \
             variable), or export KFSCALE_RIG_PYTHON=<venv>/bin/python yourself"
        )
    });
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/kafka");
    let mut child = Command::new(&python)
        .args(["-m", "unittest", "-v", "test_admin"])
        .current_dir(&suite)
        .env("KFSCALE_FAKE_KAFKA_BIN", env!("CARGO_BIN_EXE_fake-kafka"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    // unittest reports on stderr; read it on a thread so a full pipe cannot block the child.
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the suite") {
            break status;
        }
        if started.elapsed() > SUITE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Kafka conformance suite did not finish in {SUITE_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let report = reader.join().unwrap_or_default();
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    eprintln!("{stdout}{report}");
    assert!(status.success(), "the Kafka conformance suite failed (report above)");
    let ran = report.lines().find(|l| l.starts_with("Ran ")).unwrap_or_default();
    assert!(
        ran.starts_with("Ran ") && !ran.starts_with("Ran 0 "),
        "no conformance case ran: {ran}"
    );
    assert!(!report.contains("skipped"), "a conformance case was skipped");
}
