//! Adaptive concurrency limits against a dependency that loses capacity and gets it back:
//! a fixed limit of 100, a fixed limit of 40, and `#[adaptive_limit]`'s three algorithms, as
//! goodput, p99 latency and rejections per phase. Deterministic (seeded, virtual time).
//!
//! `cargo run --example adaptive_limit_sim` (`-- --seed 7` for another draw). The model is
//! described in `sim.rs`, which `tests/limits/adaptive_limit.rs` runs too.

mod sim;

fn main() {
    let seed = std::env::args()
        .skip_while(|argument| argument != "--seed")
        .nth(1)
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(sim::SEED);
    let report = sim::run(seed);
    println!(
        "capacity {:?} for {} s each; {} calls/s offered; seed {seed}; uncongested p99 {:.1} ms",
        sim::CAPACITIES,
        sim::PHASE.as_secs(),
        sim::ARRIVALS_PER_SECOND,
        report.uncongested_p99().as_secs_f64() * 1e3
    );
    println!();
    println!(
        "| limiter | capacity | goodput (calls/s) | p99 | rejected | limit after {} s (mean, range) |",
        sim::SETTLE.as_secs()
    );
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    for row in &report.rows {
        for phase in &row.phases {
            println!(
                "| {} | {} | {:.0} | {:.1} ms | {:.1}% | {:.0} ({:.0} to {:.0}) |",
                row.label,
                phase.capacity,
                phase.goodput,
                phase.p99.as_secs_f64() * 1e3,
                phase.rejected * 100.0,
                phase.mean_limit,
                phase.settled_limit.0,
                phase.settled_limit.1,
            );
        }
    }
}
