//! One line per observed system on stderr: what is being read and how long it took, so an
//! operator watching a slow plan knows which system is slow.
use std::future::Future;
use std::io::Write;
use std::time::Instant;

pub struct Progress {
    enabled: bool,
    /// (system, seconds) of every finished step, for the summary and for tests.
    pub timings: Vec<(String, f64)>,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            timings: Vec::new(),
        }
    }

    pub async fn step<T, E>(&mut self, system: &str, work: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        if self.enabled {
            crate::eout!("observing {system} ...");
            let _ = std::io::stderr().flush();
        }
        let started = Instant::now();
        let result = work.await;
        let seconds = started.elapsed().as_secs_f64();
        if self.enabled {
            let outcome = if result.is_ok() { "done" } else { "FAILED" };
            crate::eoutln!(" {outcome} in {seconds:.1} s");
        }
        self.timings.push((system.to_string(), seconds));
        result
    }
}
