//! A fake binary run as the rig runs it: a seed file, port 0, one JSON line of addresses on stdout,
//! a clean exit on SIGTERM.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A started fake; killed on drop if the test fails before it stopped it, so no fake outlives the test.
pub struct FakeProcess {
    child: Child,
    /// The address line it printed.
    pub addresses: Value,
}

impl FakeProcess {
    /// Starts `binary --seed <seed> <args>` and reads its address line.
    pub fn start(binary: &str, seed: &Path, args: &[&str]) -> FakeProcess {
        let mut child = Command::new(binary)
            .arg("--seed")
            .arg(seed)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut process = FakeProcess {
            child,
            addresses: Value::Null,
        };
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        process.addresses = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        process
    }

    /// SIGTERM, and the process must exit cleanly.
    pub fn terminate(mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    }
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
