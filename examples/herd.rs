//! The thundering-herd experiment: N clients each make one optimistic-concurrency write to one
//! shared row (read the version, then write if it is unchanged; a write fails when another
//! client wrote first) and retry until they succeed. Network delay is |Normal(10 ms, 2 ms)| each
//! way; backoff starts at 5 ms and is capped at 2 s. Every delay comes from this crate's own
//! `RetryPolicy::delay_for`, with the jitter draw taken from a seeded generator, so the whole
//! simulation runs in virtual time and is the same on every run.
//!
//! `cargo run --release --example herd` prints, for each strategy and N, the median over 100
//! runs of the total calls (write attempts) and of the time until the last client finishes.
//! `-- --runs 20` makes it quicker.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use retry_runtime::{Backoff, Jitter, RetryPolicy};

const CLIENT_COUNTS: [usize; 3] = [50, 100, 190];
const BASE: Duration = Duration::from_millis(5);
const CAP: Duration = Duration::from_secs(2);
const NETWORK_MEAN_MS: f64 = 10.0;
const NETWORK_STD_DEV_MS: f64 = 2.0;

#[derive(Clone, Copy)]
enum Strategy {
    NoBackoff,
    Backoff(Jitter),
}

impl Strategy {
    const ALL: [(Strategy, &'static str); 5] = [
        (Strategy::NoBackoff, "no backoff"),
        (Strategy::Backoff(Jitter::None), "exponential, no jitter"),
        (Strategy::Backoff(Jitter::Full), "full jitter"),
        (Strategy::Backoff(Jitter::Equal), "equal jitter"),
        (
            Strategy::Backoff(Jitter::Decorrelated),
            "decorrelated jitter",
        ),
    ];

    fn policy(self) -> Option<RetryPolicy> {
        let Strategy::Backoff(jitter) = self else {
            return None;
        };
        let policy = RetryPolicy::builder()
            .max_attempts(u32::MAX)
            .backoff(Backoff::Exponential { factor: 2.0 })
            .delay(BASE)
            .max_delay(CAP)
            .jitter(jitter)
            .build()
            .expect("the experiment's policy is valid");
        Some(policy)
    }
}

/// What happens next, and to whom. Times are virtual nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The client sends its read.
    Start { client: usize },
    /// The read reaches the row, which answers with its version.
    ReadArrives { client: usize },
    /// The version reaches the client, which sends its conditional write.
    WriteSent { client: usize, version: u64 },
    /// The write reaches the row.
    WriteArrives { client: usize, version: u64 },
    /// The write's result reaches the client.
    Answer { client: usize, written: bool },
}

struct Simulation {
    rng: SmallRng,
    policy: Option<RetryPolicy>,
    queue: BinaryHeap<Reverse<(u64, u64, Event)>>,
    sequence: u64,
    version: u64,
    /// Per client: failed attempts so far, and the last delay slept.
    retries: Vec<(u32, Duration)>,
    calls: u64,
    finished: usize,
    last_finish: u64,
}

impl Simulation {
    fn run(clients: usize, strategy: Strategy, seed: u64) -> (u64, Duration) {
        let mut simulation = Simulation {
            rng: SmallRng::seed_from_u64(seed),
            policy: strategy.policy(),
            queue: BinaryHeap::new(),
            sequence: 0,
            version: 0,
            retries: vec![(0, BASE); clients],
            calls: 0,
            finished: 0,
            last_finish: 0,
        };
        for client in 0..clients {
            simulation.schedule(0, Event::Start { client });
        }
        while let Some(Reverse((now, _, event))) = simulation.queue.pop() {
            simulation.handle(now, event);
        }
        assert_eq!(
            simulation.finished, clients,
            "every client eventually writes"
        );
        (
            simulation.calls,
            Duration::from_nanos(simulation.last_finish),
        )
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.sequence += 1;
        self.queue.push(Reverse((at, self.sequence, event)));
    }

    /// One network hop: |Normal(10 ms, 2 ms)|, by Box-Muller from two uniform draws.
    fn hop(&mut self) -> u64 {
        let u1: f64 = 1.0 - self.rng.random::<f64>();
        let u2: f64 = self.rng.random::<f64>();
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let millis = (NETWORK_MEAN_MS + NETWORK_STD_DEV_MS * normal).abs();
        // Non-negative and far below u64::MAX nanoseconds.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let nanos = (millis * 1e6) as u64;
        nanos
    }

    fn handle(&mut self, now: u64, event: Event) {
        match event {
            Event::Start { client } => {
                let at = now + self.hop();
                self.schedule(at, Event::ReadArrives { client });
            }
            Event::ReadArrives { client } => {
                let at = now + self.hop();
                let version = self.version;
                self.schedule(at, Event::WriteSent { client, version });
            }
            Event::WriteSent { client, version } => {
                self.calls += 1;
                let at = now + self.hop();
                self.schedule(at, Event::WriteArrives { client, version });
            }
            Event::WriteArrives { client, version } => {
                let written = version == self.version;
                if written {
                    self.version += 1;
                }
                let at = now + self.hop();
                self.schedule(at, Event::Answer { client, written });
            }
            Event::Answer { written: true, .. } => {
                self.finished += 1;
                self.last_finish = self.last_finish.max(now);
            }
            Event::Answer {
                client,
                written: false,
            } => {
                let delay = self.backoff(client);
                let at = now.saturating_add(u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX));
                self.schedule(at, Event::Start { client });
            }
        }
    }

    /// The runtime's own delay for this client's next retry.
    fn backoff(&mut self, client: usize) -> Duration {
        let Some(policy) = self.policy else {
            return Duration::ZERO;
        };
        let (failures, previous) = self.retries[client];
        let delay = policy.delay_for(failures, previous, self.rng.random::<f64>());
        self.retries[client] = (failures + 1, delay);
        delay
    }
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values[values.len() / 2]
}

fn main() {
    let runs: u64 = std::env::args()
        .skip_while(|argument| argument != "--runs")
        .nth(1)
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(100);
    println!(
        "median of {runs} runs per cell: calls (write attempts) / time until the last client finishes"
    );
    print!("{:<24}", "strategy");
    for clients in CLIENT_COUNTS {
        print!(" | {:>20}", format!("N = {clients}"));
    }
    println!();
    for (strategy, name) in Strategy::ALL {
        print!("{name:<24}");
        for clients in CLIENT_COUNTS {
            let (mut calls, mut times): (Vec<u64>, Vec<u64>) = (0..runs)
                .map(|seed| {
                    let (calls, time) = Simulation::run(clients, strategy, seed);
                    (calls, u64::try_from(time.as_millis()).unwrap_or(u64::MAX))
                })
                .unzip();
            print!(
                " | {:>20}",
                format!("{} / {} ms", median(&mut calls), median(&mut times))
            );
        }
        println!();
    }
}
