//! A throttled reassignment on a model clock, driven by [`schedule`] at a fixed poll interval: the
//! scheduler's copy time against its physical bound without a cluster, for the property tests.
//! The copy model is the Kafka fake's (tests/fakes/src/kafka/model/replication.rs): a broker's
//! throttle is shared equally by its throttled copies, in and out separately, and a copy goes at
//! the smaller of its leader's and its receiver's share. Moves are sent only at polls, as the step
//! does, and a poll sees a move finished once all its copies are.
use std::collections::{BTreeMap, BTreeSet};

use super::copy_bound::busiest_broker;
use super::moves::{Key, Limits, Move, schedule};

/// What a run of the model saw.
#[derive(Debug)]
pub struct Run {
    /// From the first move sent to the poll that found every move done, in seconds.
    pub copy_seconds: f64,
    pub bound_seconds: f64,
    /// How often each move was sent.
    pub sends: BTreeMap<Key, usize>,
    /// The most copying moves in flight at once, right after a poll sent its moves.
    pub most_in_flight: usize,
    /// The most slots taken on one broker at once (a move's receivers and droppers one each, its
    /// sending leader one per copy).
    pub most_on_a_broker: usize,
    pub polls: usize,
}

struct Copy {
    key: Key,
    to: i32,
    from: i32,
    left: f64,
}

/// Runs `moves` to the end. Panics when the schedule stops making progress (a poll that sends
/// nothing while nothing is in flight and moves wait): that is a scheduler bug.
pub fn run(moves: &[Move], limits: Limits, throttle: f64, poll_seconds: f64) -> Run {
    let by_key: BTreeMap<Key, &Move> = moves.iter().map(|m| (m.key(), m)).collect();
    let mut live: BTreeMap<Key, Vec<i32>> = moves.iter().map(|m| (m.key(), m.from.clone())).collect();
    let mut in_flight: BTreeSet<Key> = BTreeSet::new();
    let mut submitted: BTreeSet<Key> = BTreeSet::new();
    let mut copies: Vec<Copy> = Vec::new();
    let mut outcome = Run {
        copy_seconds: 0.0,
        bound_seconds: busiest_broker(moves).map_or(0.0, |busiest| busiest.bytes as f64 / throttle),
        sends: BTreeMap::new(),
        most_in_flight: 0,
        most_on_a_broker: 0,
        polls: 0,
    };
    let mut now = 0.0;
    let mut first_send: Option<f64> = None;
    loop {
        outcome.polls += 1;
        let progress = schedule(moves, &live, &in_flight, &submitted, limits);
        if progress.is_complete() {
            break;
        }
        assert!(
            !progress.next.is_empty() || !in_flight.is_empty(),
            "the schedule stalled: {} move(s) wait and nothing is in flight",
            progress.pending.len()
        );
        for key in &progress.next {
            *outcome.sends.entry(key.clone()).or_default() += 1;
            submitted.insert(key.clone());
            let planned = by_key[key];
            match planned.sender() {
                None => {
                    live.insert(key.clone(), planned.to.clone());
                }
                Some(from) => {
                    first_send.get_or_insert(now);
                    in_flight.insert(key.clone());
                    copies.extend(planned.adding().into_iter().map(|to| Copy {
                        key: key.clone(),
                        to,
                        from,
                        left: planned.weight() as f64,
                    }));
                }
            }
        }
        outcome.most_in_flight = outcome.most_in_flight.max(in_flight.len());
        let mut load: BTreeMap<i32, usize> = BTreeMap::new();
        for key in &in_flight {
            for (broker, slots) in by_key[key].slots() {
                *load.entry(broker).or_default() += slots;
            }
        }
        outcome.most_on_a_broker = outcome.most_on_a_broker.max(load.into_values().max().unwrap_or(0));
        now = copy_until(&mut copies, now, now + poll_seconds, throttle);
        let done: Vec<Key> = in_flight
            .iter()
            .filter(|key| !copies.iter().any(|c| &c.key == *key))
            .cloned()
            .collect();
        for key in done {
            in_flight.remove(&key);
            live.insert(key.clone(), by_key[&key].to.clone());
        }
    }
    // The poll that found everything done ended the copy (as the step sees it).
    outcome.copy_seconds = first_send.map_or(0.0, |first| now - first);
    outcome
}

/// Copies from `now` to `until`, event by event (the rates change only when a copy ends).
fn copy_until(copies: &mut Vec<Copy>, mut now: f64, until: f64, throttle: f64) -> f64 {
    while now < until && !copies.is_empty() {
        let mut into: BTreeMap<i32, f64> = BTreeMap::new();
        let mut out_of: BTreeMap<i32, f64> = BTreeMap::new();
        for c in copies.iter() {
            *into.entry(c.to).or_default() += 1.0;
            *out_of.entry(c.from).or_default() += 1.0;
        }
        let rates: Vec<f64> = copies
            .iter()
            .map(|c| (throttle / into[&c.to]).min(throttle / out_of[&c.from]))
            .collect();
        let step = copies
            .iter()
            .zip(&rates)
            .map(|(c, rate)| c.left / rate)
            .fold(until - now, f64::min);
        for (c, rate) in copies.iter_mut().zip(&rates) {
            c.left -= rate * step;
        }
        // Float rounding: a copy within a millionth of a byte of its end has ended.
        copies.retain(|c| c.left > 1e-6);
        now += step;
    }
    until.max(now)
}
