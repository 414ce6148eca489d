//! The simulation behind `cargo run --example adaptive_limit_sim`, shared with the test that
//! checks its shape (`tests/limits/adaptive_limit.rs` includes this file).
//!
//! A dependency serves up to `capacity` calls at once, each in |Normal(50 ms, 5 ms)|, and
//! queues the rest in order, so latency grows with its queue. Its capacity is 100 for 30 s,
//! drops to 40 for 30 s, and comes back to 100 for 30 s. A client sends it 2,400 calls a second
//! (Poisson arrivals: 1.2 times what the full capacity serves) through a limiter, and a call the
//! limiter rejects is counted and dropped. The same seeded arrivals and service times go through
//! a fixed limit of 100, a fixed limit of 40, and the adaptive limiter with each algorithm.
//!
//! Every limiter is this crate's [`AdaptiveLimiter`], driven through its own admission, latency
//! samples and windows on a virtual clock (`try_acquire_at` / `record_at` at simulated
//! instants): a fixed limit is one whose bounds are equal. Nothing sleeps; a run of 90 simulated
//! seconds takes well under a second in a release build.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use retry_runtime::{AdaptiveLimitConfig, AdaptiveLimiter, AdaptivePermit, LimitAlgorithm};

/// The seed of the table in the README.
pub const SEED: u64 = 42;
/// The dependency's capacity in each phase.
pub const CAPACITIES: [u32; 3] = [100, 40, 100];
/// How long each phase lasts.
pub const PHASE: Duration = Duration::from_secs(30);
/// The start of each phase left out of the settled limit (not of the p99 or the goodput).
pub const SETTLE: Duration = Duration::from_secs(10);
/// Calls the client sends a second.
pub const ARRIVALS_PER_SECOND: f64 = 2_400.0;
const SERVICE_MEAN_MS: f64 = 50.0;
const SERVICE_STD_DEV_MS: f64 = 5.0;

/// What one limiter did in one phase.
#[derive(Clone, Debug)]
pub struct Phase {
    /// The dependency's capacity.
    pub capacity: u32,
    /// Calls that finished a second.
    pub goodput: f64,
    /// The 99th percentile of the latency of the calls admitted in the phase.
    pub p99: Duration,
    /// The share of the phase's calls the limiter rejected.
    pub rejected: f64,
    /// The lowest and highest limit after the first [`SETTLE`] of the phase.
    pub settled_limit: (f64, f64),
    /// The average limit over the same time.
    pub mean_limit: f64,
}

/// One limiter over the three phases.
#[derive(Clone, Debug)]
pub struct Row {
    /// What it is: `fixed 100`, `adaptive (vegas)`, ...
    pub label: &'static str,
    /// One per capacity of [`CAPACITIES`].
    pub phases: Vec<Phase>,
}

/// Every limiter's row.
#[derive(Clone, Debug)]
pub struct Report {
    /// In the order of the table.
    pub rows: Vec<Row>,
}

impl Report {
    /// The row called `label`.
    pub fn row(&self, label: &str) -> &Row {
        self.rows
            .iter()
            .find(|row| row.label == label)
            .unwrap_or_else(|| panic!("no row {label}"))
    }

    /// The p99 of calls that never queue: a fixed limit of 40 against a capacity of 100.
    pub fn uncongested_p99(&self) -> Duration {
        self.row("fixed 40").phases[0].p99
    }
}

/// Runs every limiter against the same dependency and arrivals.
pub fn run(seed: u64) -> Report {
    let fixed = |limit| {
        AdaptiveLimitConfig::builder()
            .initial_limit(limit)
            .min_limit(limit)
            .max_limit(limit)
            .build()
            .expect("a valid fixed limit")
    };
    let adaptive = |algorithm| {
        AdaptiveLimitConfig::builder()
            .algorithm(algorithm)
            .build()
            .expect("the default limits")
    };
    let limiters = [
        ("fixed 100", fixed(100)),
        ("fixed 40", fixed(40)),
        ("adaptive (vegas)", adaptive(LimitAlgorithm::Vegas)),
        ("adaptive (gradient2)", adaptive(LimitAlgorithm::Gradient2)),
        ("adaptive (aimd)", adaptive(LimitAlgorithm::Aimd)),
    ];
    let rows = limiters
        .into_iter()
        .map(|(label, config)| Row {
            label,
            phases: Simulation::new(seed, &AdaptiveLimiter::new(label, config)).run(),
        })
        .collect();
    Report { rows }
}

/// What happens next. Derived order breaks ties between events at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// The dependency's capacity changes to that of phase `.0`.
    Capacity(usize),
    /// Call `.0` leaves the dependency.
    Done(u64),
    /// The client sends a call.
    Arrival,
}

/// A call admitted by the limiter.
struct Call<'a> {
    permit: AdaptivePermit<'a>,
    sent: u64,
    phase: usize,
}

/// Per phase, what the run counts.
#[derive(Default)]
struct Tally {
    arrivals: u64,
    rejected: u64,
    finished: u64,
    latencies: Vec<u64>,
    limits: (f64, f64, f64, u64),
}

struct Simulation<'a> {
    limiter: &'a AdaptiveLimiter,
    rng: SmallRng,
    origin: Instant,
    /// Virtual nanoseconds.
    now: u64,
    events: BinaryHeap<Reverse<(u64, Event)>>,
    calls: HashMap<u64, Call<'a>>,
    next_call: u64,
    capacity: u32,
    serving: u32,
    queue: VecDeque<u64>,
    tallies: Vec<Tally>,
}

const fn nanos(duration: Duration) -> u64 {
    duration.as_secs() * 1_000_000_000 + duration.subsec_nanos() as u64
}

impl<'a> Simulation<'a> {
    fn new(seed: u64, limiter: &'a AdaptiveLimiter) -> Simulation<'a> {
        let mut simulation = Simulation {
            limiter,
            rng: SmallRng::seed_from_u64(seed),
            origin: Instant::now(),
            now: 0,
            events: BinaryHeap::new(),
            calls: HashMap::new(),
            next_call: 0,
            capacity: CAPACITIES[0],
            serving: 0,
            queue: VecDeque::new(),
            tallies: CAPACITIES.iter().map(|_| Tally::default()).collect(),
        };
        for phase in 1..CAPACITIES.len() {
            simulation.schedule(nanos(PHASE) * phase as u64, Event::Capacity(phase));
        }
        simulation.schedule(0, Event::Arrival);
        simulation
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.events.push(Reverse((at, event)));
    }

    fn phase(&self) -> usize {
        usize::try_from(self.now / nanos(PHASE)).unwrap_or(usize::MAX)
    }

    fn run(mut self) -> Vec<Phase> {
        let end = nanos(PHASE) * CAPACITIES.len() as u64;
        while let Some(Reverse((at, event))) = self.events.pop() {
            self.now = at;
            match event {
                Event::Capacity(phase) => {
                    self.capacity = CAPACITIES[phase];
                    self.serve_queued();
                }
                Event::Done(call) => {
                    self.serving -= 1;
                    self.finish(call);
                    self.serve_queued();
                }
                Event::Arrival if at < end => {
                    self.arrive();
                    let gap =
                        -self.rng.random::<f64>().max(f64::MIN_POSITIVE).ln() / ARRIVALS_PER_SECOND;
                    self.schedule(at + (gap * 1e9) as u64, Event::Arrival);
                }
                Event::Arrival => {}
            }
        }
        self.tallies
            .into_iter()
            .zip(CAPACITIES)
            .map(|(tally, capacity)| summarise(tally, capacity))
            .collect()
    }

    fn instant(&self) -> Instant {
        self.origin + Duration::from_nanos(self.now)
    }

    fn arrive(&mut self) {
        let phase = self.phase();
        let in_phase = self.now - nanos(PHASE) * phase as u64;
        let limit = f64::from(self.limiter.limit());
        let tally = &mut self.tallies[phase];
        tally.arrivals += 1;
        if in_phase >= nanos(SETTLE) {
            let (low, high, sum, count) = &mut tally.limits;
            *low = if *count == 0 { limit } else { low.min(limit) };
            *high = high.max(limit);
            *sum += limit;
            *count += 1;
        }
        let now = self.instant();
        match self.limiter.try_acquire_at(now) {
            Ok(permit) => {
                let call = self.next_call;
                self.next_call += 1;
                let sent = self.now;
                self.calls.insert(
                    call,
                    Call {
                        permit,
                        sent,
                        phase,
                    },
                );
                if self.serving < self.capacity {
                    self.start(call);
                } else {
                    self.queue.push_back(call);
                }
            }
            Err(_) => self.tallies[phase].rejected += 1,
        }
    }

    /// Starts serving `call`: |Normal(50 ms, 5 ms)|, by Box-Muller.
    fn start(&mut self, call: u64) {
        self.serving += 1;
        let (u1, u2): (f64, f64) = (
            self.rng.random::<f64>().max(f64::MIN_POSITIVE),
            self.rng.random(),
        );
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let millis = (SERVICE_MEAN_MS + SERVICE_STD_DEV_MS * normal)
            .abs()
            .max(0.1);
        self.schedule(self.now + (millis * 1e6) as u64, Event::Done(call));
    }

    fn serve_queued(&mut self) {
        while self.serving < self.capacity {
            let Some(call) = self.queue.pop_front() else {
                break;
            };
            self.start(call);
        }
    }

    fn finish(&mut self, call: u64) {
        let Some(Call {
            permit,
            sent,
            phase,
        }) = self.calls.remove(&call)
        else {
            return;
        };
        permit.record_at(self.instant());
        let tally = &mut self.tallies[phase];
        tally.latencies.push(self.now - sent);
        // Goodput counts the calls finished in each phase's own time.
        let finished_in = self.phase().min(CAPACITIES.len() - 1);
        self.tallies[finished_in].finished += 1;
    }
}

fn summarise(mut tally: Tally, capacity: u32) -> Phase {
    tally.latencies.sort_unstable();
    let p99 = tally
        .latencies
        .get((tally.latencies.len() * 99).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or(0);
    let (low, high, sum, count) = tally.limits;
    Phase {
        capacity,
        goodput: tally.finished as f64 / PHASE.as_secs_f64(),
        p99: Duration::from_nanos(p99),
        rejected: tally.rejected as f64 / tally.arrivals.max(1) as f64,
        settled_limit: (low, high),
        mean_limit: sum / count.max(1) as f64,
    }
}
