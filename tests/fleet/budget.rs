//! One retry budget for a fleet of 4 OS processes through a real `redis-server` (feature
//! `redis`): in a storm against a failing dependency, the fleet retries at most `share` x its
//! calls plus one reserve and the trickle, where 4 processes with budgets of their own spend 4
//! reserves and 4 trickles. Both are measured here, side by side.
#![cfg(feature = "redis")]

use crate::support as fleet_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fleet_support::{Child, RedisCluster, RedisServer, prefix, serve};
use retry_runtime::fleet::{self, FleetOptions};
use retry_runtime::{BudgetConfig, register_budget, retry};

static ATTEMPTS: AtomicU64 = AtomicU64::new(0);

/// The failing dependency: 1 ms per attempt, so a storm lasts long enough for leases to flow.
#[retry(max_attempts = 5, delay = "0ms", budget = "fleet.storm")]
fn call_dependency() -> Result<(), String> {
    ATTEMPTS.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(1));
    Err("unavailable".to_owned())
}

/// Finagle's defaults: 20% of calls, 10 per second, reserve and cap 100.
const BUDGET: BudgetConfig = BudgetConfig::DEFAULT;

/// A child: registers the budget (with `FLEET_CAP`, `FLEET_SHARE` and `FLEET_TRICKLE` in
/// place of the defaults; on `register`, after connecting, if `FLEET_LATE` is set), joins the fleet if
/// `FLEET_URL` is set, and answers `storm N` with the attempts its N calls made.
#[test]
fn fleet_child() {
    if std::env::var("FLEET_CHILD").is_err() {
        return;
    }
    let setting = |name: &str, default: f64| {
        std::env::var(name).map_or(default, |value| value.parse().unwrap())
    };
    let config = BudgetConfig {
        cap: setting("FLEET_CAP", BUDGET.cap),
        share: setting("FLEET_SHARE", BUDGET.share),
        min_per_second: setting("FLEET_TRICKLE", BUDGET.min_per_second),
    };
    let late = std::env::var("FLEET_LATE").is_ok();
    if !late {
        register_budget("fleet.storm", config).unwrap();
    }
    let cluster = std::env::var("FLEET_CLUSTER").ok();
    let link = std::env::var("FLEET_URL")
        .ok()
        .or(cluster.clone())
        .map(|url| {
            let options = FleetOptions::new().prefix(std::env::var("FLEET_PREFIX").unwrap());
            // FLEET_CLUSTER: a Redis Cluster's node URLs, comma-separated.
            let link = match &cluster {
                Some(urls) => fleet::connect_cluster(urls.split(','), options).unwrap(),
                None => fleet::connect(&url, options).unwrap(),
            };
            assert!(link.wait_synced(Duration::from_secs(10)));
            link
        });
    serve(|command| {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["ready"] => "ready".to_owned(),
            // Registers the budget now and answers its balance at once (before any flush).
            ["register"] => register_budget("fleet.storm", config)
                .unwrap()
                .counts()
                .balance
                .to_string(),
            ["balance"] => retry_runtime::budget("fleet.storm")
                .unwrap()
                .counts()
                .balance
                .to_string(),
            ["storm", calls] => {
                let calls: u64 = calls.parse().unwrap();
                let before = ATTEMPTS.load(Ordering::Relaxed);
                for _ in 0..calls {
                    let _ = call_dependency();
                }
                (ATTEMPTS.load(Ordering::Relaxed) - before).to_string()
            }
            other => format!("unknown command {other:?}"),
        }
    });
    drop(link);
}

/// Attempts made by 4 processes, each making `calls` failing calls at once, and how long they
/// ran, from the first one's start.
fn storm(environment: &[(&str, &str)], calls: u64) -> (u64, Duration) {
    // The trickle counts from the budget's creation, when the first process starts.
    let started = Instant::now();
    let mut processes: Vec<Child> = (0..4)
        .map(|n| Child::spawn(&format!("storm{n}"), environment))
        .collect();
    for process in &mut processes {
        assert_eq!(process.ask("ready"), "ready");
    }
    for process in &mut processes {
        process.send(&format!("storm {calls}"));
    }
    let attempts = processes
        .iter_mut()
        .map(|process| process.answer().parse::<u64>().unwrap())
        .sum();
    (attempts, started.elapsed())
}

#[test]
fn a_storm_across_4_processes_spends_one_budget_not_4() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    storm_within_bounds(("FLEET_URL", server.url()), "");
}

/// The same on a Redis Cluster of three primaries.
#[test]
fn a_storm_on_a_redis_cluster_spends_one_budget() {
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    storm_within_bounds(
        ("FLEET_CLUSTER", cluster.urls().join(",")),
        " (Redis Cluster)",
    );
}

fn storm_within_bounds(redis: (&str, String), on: &str) {
    let calls_each = 100;
    let calls = 4 * calls_each;
    let prefix = prefix("storm");
    let (fleet_attempts, fleet_took) = storm(
        &[(redis.0, &redis.1), ("FLEET_PREFIX", &prefix)],
        calls_each,
    );
    let (local_attempts, local_took) = storm(&[], calls_each);

    #[allow(clippy::cast_precision_loss)]
    let bound = |took: Duration, processes: f64| {
        let reserve = BUDGET.min_per_second * 10.0;
        (1.0 + BUDGET.share) * calls as f64
            + processes * (reserve + BUDGET.min_per_second * took.as_secs_f64())
    };
    println!(
        "storm{on} of {calls} failing calls (max_attempts 5) over 4 processes: \
         one fleet budget {fleet_attempts} attempts, processes up {fleet_took:?} (bound {:.0}); \
         4 budgets of their own {local_attempts} attempts, up {local_took:?} (bound {:.0}); \
         without a budget {}",
        bound(fleet_took, 1.0),
        bound(local_took, 4.0),
        calls * 5
    );
    #[allow(clippy::cast_precision_loss)]
    let fleet = fleet_attempts as f64;
    assert!(fleet <= bound(fleet_took, 1.0), "{fleet_attempts} attempts");
    assert!(fleet_attempts >= calls, "every call ran at least once");
    assert!(
        local_attempts > fleet_attempts,
        "budgets of their own spent {local_attempts}, the fleet's {fleet_attempts}"
    );
}

/// How many scripts (`EVALSHA`) the server ran so far.
fn scripts_run(server: &RedisServer) -> u64 {
    let info = server.command(&["INFO", "commandstats"]);
    info.lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |calls| calls.parse().unwrap())
}

#[test]
fn a_cap_below_the_lease_batch_leases_what_the_budget_holds_and_then_rests() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let prefix = prefix("cap");
    // A cap of 3 tokens, leases of 5 (the default).
    let mut child = Child::spawn(
        "capped",
        &[
            ("FLEET_URL", &url),
            ("FLEET_PREFIX", &prefix),
            ("FLEET_CAP", "3"),
        ],
    );
    assert_eq!(child.ask("ready"), "ready");
    std::thread::sleep(Duration::from_millis(100));
    let before = scripts_run(&server);
    // Idle for 1 s: full, the process asks Redis nothing (it asked every 20 ms for tokens it
    // could not hold, which were lost).
    std::thread::sleep(Duration::from_secs(1));
    let asked = scripts_run(&server) - before;
    assert!(asked < 10, "{asked} scripts run in 1 s by an idle process");
    let balance: f64 = child.ask("balance").parse().unwrap();
    assert!((balance - 3.0).abs() < 1e-9, "balance {balance}");
}

#[test]
fn a_budget_created_after_connecting_spends_no_reserve_of_its_own() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let prefix = prefix("late-budget");
    // The fleet's budget is empty, and earns 1 token every 2 s; on its own a process's budget
    // would start with a reserve of 5 (10 s of its trickle).
    let now_ms = (fleet_support::wall_micros() / 1000).to_string();
    server.command(&[
        "HSET",
        &format!("{{{prefix}}}:budget:fleet.storm"),
        "milli",
        "0",
        "at",
        &now_ms,
    ]);
    let mut child = Child::spawn(
        "late",
        &[
            ("FLEET_URL", &url),
            ("FLEET_PREFIX", &prefix),
            ("FLEET_LATE", "1"),
            ("FLEET_SHARE", "0"),
            ("FLEET_TRICKLE", "0.5"),
        ],
    );
    // Created after connecting, it holds no tokens of its own (it held a reserve of 5 until the
    // link's next flush)...
    let balance: f64 = child.ask("register").parse().unwrap();
    assert!(
        balance.abs() < 1e-9,
        "a new shared budget holds {balance} tokens"
    );
    // ...and one failing call (`max_attempts = 5`) retries with the fleet's tokens only (a
    // token or two may have been earned by then).
    let attempts: u64 = child.ask("storm 1").parse().unwrap();
    assert!(
        attempts <= 3,
        "{attempts} attempts: the budget spent a reserve of its own"
    );
}
