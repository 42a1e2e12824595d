//! Injected faults as every HTTP fake keeps them: a list in the order they were posted, each firing for
//! `count` requests (its shots) or until cleared, aimed at one API method by id, at every method (`*`)
//! or at the mutating ones (`mutations`).
use serde::Deserialize;

/// A fault that may be limited to a number of shots.
pub trait Shots {
    /// The shots left (`Some(None)`: unlimited), or `None` for a fault that is not fired by requests.
    fn shots(&mut self) -> Option<&mut Option<u32>>;
}

#[derive(Debug)]
pub struct FaultList<F> {
    active: Vec<F>,
}

impl<F> Default for FaultList<F> {
    fn default() -> Self {
        FaultList { active: Vec::new() }
    }
}

impl<F: Shots> FaultList<F> {
    pub fn add(&mut self, fault: F) {
        self.active.push(fault);
    }

    pub fn clear(&mut self) {
        self.active.clear();
    }

    pub fn list(&self) -> &[F] {
        &self.active
    }

    /// Offers every fault with a shot left to `fires`, in order; each one it fires uses up a shot, and
    /// the faults with none left go.
    pub fn fire(&mut self, mut fires: impl FnMut(&F) -> bool) {
        for fault in &mut self.active {
            let Some(shots) = fault.shots() else { continue };
            if *shots == Some(0) {
                continue;
            }
            if fires(fault)
                && let Some(Some(left)) = fault.shots()
            {
                *left -= 1;
            }
        }
        self.active.retain_mut(|fault| !matches!(fault.shots(), Some(Some(0))));
    }
}

/// What a fault does to a request, for the request faults every fake has.
pub enum Aim<'a> {
    /// Answer requests aimed at with this HTTP error; `status` and `message` as the fake's error body
    /// has them (absent: the fake's usual ones for `code`).
    Error {
        at: &'a str,
        code: u16,
        status: Option<&'a str>,
        message: Option<&'a str>,
        /// A `Retry-After` for the answer (throttling), where the fake's system sends one.
        retry_after: Option<u64>,
        /// The request is carried out before the error is answered.
        applied: bool,
    },
    /// Delay the answer by this many real milliseconds.
    Delay { at: &'a str, millis: u64 },
    /// Not a request fault (it acts elsewhere, e.g. on operations).
    Elsewhere,
}

/// A fault of a fake's own kinds that says which of them are request faults.
pub trait RequestFault: Shots {
    fn aim(&self) -> Aim<'_>;
}

/// An injected HTTP error, for the fake to answer in its own error format.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectedError {
    pub code: u16,
    pub status: Option<String>,
    pub message: Option<String>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
    /// Carry the request out, then answer with the error instead of its result.
    pub applied: bool,
}

/// What the faults do to one request: the first error aimed at it, and every delay added up.
#[derive(Debug, Default)]
pub struct Effects {
    pub delay_ms: u64,
    pub error: Option<InjectedError>,
}

impl<F: RequestFault> FaultList<F> {
    /// The effects on a request to the method `id`, using up a shot of each fault that fires.
    pub fn on_request(&mut self, id: &str, mutation: bool) -> Effects {
        let mut effects = Effects::default();
        self.fire(|fault| match fault.aim() {
            Aim::Error {
                at,
                code,
                status,
                message,
                retry_after,
                applied,
            } if aims_at(at, id, mutation) && effects.error.is_none() => {
                effects.error = Some(InjectedError {
                    code,
                    status: status.map(str::to_string),
                    message: message.map(str::to_string),
                    retry_after,
                    applied,
                });
                true
            }
            Aim::Delay { at, millis } if aims_at(at, id, mutation) => {
                effects.delay_ms += millis;
                true
            }
            _ => false,
        });
        effects
    }
}

/// Whether a fault aimed at `wanted` hits a request to the method `id`.
pub fn aims_at(wanted: &str, id: &str, mutation: bool) -> bool {
    wanted == "*" || wanted == id || (wanted == "mutations" && mutation)
}

/// The body of `POST /_control/faults`: one fault object or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<F> {
    One(F),
    Many(Vec<F>),
}

impl<F> OneOrMany<F> {
    pub fn into_vec(self) -> Vec<F> {
        match self {
            OneOrMany::One(fault) => vec![fault],
            OneOrMany::Many(faults) => faults,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Test {
        Counted(&'static str, Option<u32>),
        Immediate,
    }

    impl Shots for Test {
        fn shots(&mut self) -> Option<&mut Option<u32>> {
            match self {
                Test::Counted(_, count) => Some(count),
                Test::Immediate => None,
            }
        }
    }

    #[test]
    fn a_counted_fault_fires_its_shots_then_goes_an_unlimited_one_stays() {
        let mut faults = FaultList::default();
        faults.add(Test::Counted("a", Some(2)));
        faults.add(Test::Counted("b", None));
        faults.add(Test::Immediate);
        let mut fired = Vec::new();
        for _ in 0..3 {
            faults.fire(|fault| {
                if let Test::Counted(name, _) = fault {
                    fired.push(*name);
                }
                true
            });
        }
        assert_eq!(fired, ["a", "b", "a", "b", "b"]);
        assert_eq!(faults.list(), [Test::Counted("b", None), Test::Immediate]);
    }

    #[test]
    fn a_fault_not_fired_keeps_its_shots() {
        let mut faults = FaultList::default();
        faults.add(Test::Counted("a", Some(1)));
        faults.fire(|_| false);
        assert_eq!(faults.list(), [Test::Counted("a", Some(1))]);
    }

    #[test]
    fn aims() {
        assert!(aims_at("*", "get", false));
        assert!(aims_at("mutations", "put", true));
        assert!(!aims_at("mutations", "get", false));
        assert!(aims_at("get", "get", false));
        assert!(!aims_at("put", "get", false));
    }
}
