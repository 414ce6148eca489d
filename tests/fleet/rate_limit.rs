//! One rate limit for a fleet of OS processes through a real `redis-server` (feature `redis`):
//! `#[rate_limit(name = "fleet.partner", per_second = 50, burst = 10)]` in 4 processes admits
//! at most `burst + 50 x t` calls across all of them, plus one lease per process, where 4
//! processes on their own would admit 4 times that; while Redis is down each admits its last
//! known share (half the limit each, for two processes), and a limiter the options leave out
//! stays each process's own.
#![cfg(feature = "redis")]

use crate::support as fleet_support;

use std::time::{Duration, Instant};

use fleet_support::{Child, RedisServer, prefix, serve, wall_micros};
use retry_runtime::fleet::{self, FleetOptions};
use retry_runtime::{RateLimitConfig, RateLimited, rate_limit, register_rate_limiter};

#[derive(Debug)]
enum PartnerError {
    Limited,
}

impl From<RateLimited> for PartnerError {
    fn from(_: RateLimited) -> Self {
        PartnerError::Limited
    }
}

const PER_SECOND: u64 = 50;
const BURST: u64 = 10;
/// Each process's lease: `max(lease_batch (5), 50 x 20 ms)`, at most the burst.
const LEASE: u64 = 5;

#[rate_limit(name = "fleet.partner", per_second = 50, burst = 10)]
fn partner() -> Result<(), PartnerError> {
    Ok(())
}

/// An async site of the same limiter (with the same settings).
#[rate_limit(name = "fleet.partner", per_second = 50, burst = 10)]
async fn partner_async() -> Result<(), PartnerError> {
    tokio::task::yield_now().await;
    Ok(())
}

/// A site whose calls may wait a second for their permit.
#[rate_limit(name = "fleet.partner", per_second = 50, burst = 10, max_wait = "1s")]
fn partner_waits() -> Result<(), PartnerError> {
    Ok(())
}

/// Left out of the fleet by the options: each process's own.
#[rate_limit(name = "fleet.own", per_second = 50, burst = 10)]
fn own() -> Result<(), PartnerError> {
    Ok(())
}

/// A child: joins the fleet at `FLEET_URL` under `FLEET_PREFIX`, sharing `fleet.partner` only;
/// registers it before connecting unless `FLEET_LAZY` is set (then its first call does, with
/// the link up). `run <site> <start_us> <ms>` calls the site from the wall-clock time
/// `start_us` for `ms` milliseconds, a call every 500 us, and answers the calls admitted.
#[test]
fn fleet_child() {
    if std::env::var("FLEET_CHILD").is_err() {
        return;
    }
    if std::env::var("FLEET_LAZY").is_err() {
        let config = RateLimitConfig::new(50, 10).unwrap();
        register_rate_limiter("fleet.partner", config);
        register_rate_limiter("fleet.own", config);
    }
    let url = std::env::var("FLEET_URL").unwrap();
    let options = FleetOptions::new()
        .prefix(std::env::var("FLEET_PREFIX").unwrap())
        .rate_limiters(["fleet.partner"]);
    let link = fleet::connect(&url, options).unwrap();
    assert!(link.wait_synced(Duration::from_secs(30)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    serve(|command| {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["ready"] => "ready".to_owned(),
            ["connected"] => link.is_connected().to_string(),
            ["wait_connected", connected, timeout_ms] => {
                let wanted = *connected == "true";
                let deadline = Instant::now() + Duration::from_millis(timeout_ms.parse().unwrap());
                while link.is_connected() != wanted && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                link.is_connected().to_string()
            }
            ["run", site, start_us, ms] => {
                let start: u64 = start_us.parse().unwrap();
                let now = wall_micros();
                if start > now {
                    std::thread::sleep(Duration::from_micros(start - now));
                }
                let until = Instant::now() + Duration::from_millis(ms.parse().unwrap());
                let mut admitted = 0_u64;
                while Instant::now() < until {
                    let result = match *site {
                        "sync" => partner(),
                        "async" => runtime.block_on(partner_async()),
                        "waits" => partner_waits(),
                        "own" => own(),
                        other => panic!("no site {other}"),
                    };
                    if result.is_ok() {
                        admitted += 1;
                    }
                    std::thread::sleep(Duration::from_micros(500));
                }
                admitted.to_string()
            }
            other => format!("unknown command {other:?}"),
        }
    });
    drop(link);
}

fn spawn(count: usize, server: &RedisServer, prefix: &str, lazy: bool) -> Vec<Child> {
    let url = server.url();
    (0..count)
        .map(|n| {
            let mut environment = vec![("FLEET_URL", url.as_str()), ("FLEET_PREFIX", prefix)];
            if lazy {
                environment.push(("FLEET_LAZY", "1"));
            }
            let mut child = Child::spawn(&format!("p{n}"), &environment);
            assert_eq!(child.ask("ready"), "ready");
            child
        })
        .collect()
}

/// Calls admitted by each child running its site for `ms` from the same moment (half a
/// second from now, on the wall clock all processes share).
fn run(children: &mut [Child], sites: &[&str], ms: u64) -> Vec<u64> {
    let start = wall_micros() + 500_000;
    for (child, site) in children.iter_mut().zip(sites.iter().cycle()) {
        child.send(&format!("run {site} {start} {ms}"));
    }
    children
        .iter_mut()
        .map(|child| child.answer().parse().unwrap())
        .collect()
}

#[test]
fn four_processes_on_one_fleet_limit_admit_the_limit_not_four_times_it() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let seconds = 5;
    let bound = BURST + PER_SECOND * seconds + 4 * LEASE;
    let least = PER_SECOND * seconds * 9 / 10;
    // Registered before connecting, and registered by the first call with the link up (the
    // limiter starts leased: no burst of its own); sync and async sites.
    for lazy in [false, true] {
        let prefix = prefix(if lazy { "rate-lazy" } else { "rate" });
        let mut children = spawn(4, &server, &prefix, lazy);
        let admitted = run(
            &mut children,
            &["sync", "sync", "sync", "async"],
            seconds * 1000,
        );
        let total: u64 = admitted.iter().sum();
        println!(
            "4 processes on one fleet limit of {PER_SECOND}/s (burst {BURST}, leases of {LEASE}) for {seconds} s{}: admitted {total} ({admitted:?}); bound {bound}, at least {least}; 4 limits of their own would admit up to {}",
            if lazy {
                ", registered at the first call"
            } else {
                ""
            },
            4 * (BURST + PER_SECOND * seconds)
        );
        assert!(total <= bound, "admitted {total} > {bound}");
        assert!(total >= least, "admitted {total} < {least}");
        for child in &mut children {
            assert_eq!(child.ask("connected"), "true");
        }
    }
}

#[test]
fn calls_that_may_wait_wait_for_the_fleet_s_permits() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let prefix = prefix("rate-waits");
    let mut children = spawn(2, &server, &prefix, false);
    // One process's calls wait (up to 1 s each) where the other's are rejected: the waiting
    // ones borrow the next permits (at most one lease ahead) and sleep for their share, and
    // the fleet stays within its limit, plus one lease per process, plus what the waiting
    // process borrowed.
    let seconds = 2;
    let admitted = run(&mut children, &["waits", "sync"], seconds * 1000);
    let total: u64 = admitted.iter().sum();
    let bound = BURST + PER_SECOND * seconds + 2 * LEASE + LEASE;
    println!(
        "2 processes on one fleet limit, one waiting for permits, for {seconds} s: admitted {admitted:?}, bound {bound}"
    );
    assert!(total <= bound, "admitted {total}");
    assert!(total >= PER_SECOND * seconds * 8 / 10, "admitted {total}");
    // The waiting process got its share, not nothing.
    assert!(admitted[0] >= PER_SECOND * seconds / 4, "{admitted:?}");
}

#[test]
fn while_redis_is_down_each_process_admits_its_last_known_share() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let prefix = prefix("rate-down");
    let mut children = spawn(2, &server, &prefix, false);
    // Both lease from the fleet: each is counted as a member.
    let up = run(&mut children, &["sync"], 1000);
    println!("2 processes, Redis up, 1 s: admitted {up:?}");
    assert!(up.iter().sum::<u64>() <= BURST + PER_SECOND + 2 * LEASE);

    server.kill();
    for child in &mut children {
        assert_eq!(child.ask("wait_connected false 10000"), "false");
    }
    // Each admits its share: 25 a second with bursts of 5, so 2 s admit at most 55 each, and
    // the fleet stays within its limit (110).
    let seconds = 2;
    let down = run(&mut children, &["sync", "async"], seconds * 1000);
    println!(
        "2 processes, redis-server killed, {seconds} s: admitted {down:?} (each's share: bursts of {}, {}/s)",
        BURST / 2,
        PER_SECOND / 2
    );
    for admitted in &down {
        assert!(
            *admitted <= BURST / 2 + PER_SECOND / 2 * seconds + 1,
            "{admitted} admitted by one process while Redis was down"
        );
        assert!(
            *admitted >= PER_SECOND / 2 * seconds * 8 / 10,
            "{admitted} admitted by one process while Redis was down"
        );
    }
    // A limiter the options leave out is each process's own all along.
    let own = run(&mut children, &["own"], 1000);
    for admitted in &own {
        assert!(*admitted >= PER_SECOND * 8 / 10, "own limiter: {own:?}");
    }

    server.restart();
    for child in &mut children {
        assert_eq!(child.ask("wait_connected true 10000"), "true");
    }
    let back = run(&mut children, &["sync"], 1000);
    println!("2 processes, Redis back, 1 s: admitted {back:?}");
    let total: u64 = back.iter().sum();
    assert!(total <= BURST + PER_SECOND + 2 * LEASE, "admitted {total}");
    assert!(total >= PER_SECOND * 8 / 10, "admitted {total}");
}
