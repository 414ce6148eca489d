//! `[bulkhead.name]`, `[rate_limit.name]` and a breaker's `window` as a count or a duration:
//! an override on a `#[bulkhead(name = ...)]`, `#[rate_limit(name = ...)]` or
//! `#[circuit_breaker(name = ...)]` site compiled with other values takes effect, shown by what
//! the site then admits, in virtual time (`pause_sync_time` for sync fns, paused tokio time for
//! async fns), and by its `config()`. Bad values are refused at load with the key and the reason.
//!
//! Overrides install once per process, so this binary installs one set, from a TOML document
//! merged with environment variables (given as a list, not read from the process), before any
//! site runs; every test that calls a site calls `installed()` first. Each test has its own
//! names, so tests running in parallel never share state.
#![cfg(feature = "config")]

use std::cell::Cell;
use std::time::Duration;

use retry_runtime::config::Overrides;
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{
    BreakerState, BulkheadFull, CircuitOpen, RateLimited, breaker, bulkhead, circuit_breaker,
    rate_limit, rate_limiter,
};

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

const OVERRIDES: &str = r#"
[bulkhead.ovr-max_concurrent-sync]
max_concurrent = 2
[bulkhead.ovr-max_concurrent-async]
max_concurrent = 3

# The environment sets this one to 1, and wins.
[bulkhead.ovr-env-db]
max_concurrent = 4

[rate_limit.ovr-rate-sync]
per_second = 10
burst = 2
[rate_limit.ovr-rate-async]
per_second = 10
burst = 2

# The site's burst followed its per_second, so it follows the new one.
[rate_limit.ovr-burst-follows]
per_second = 5

[breaker.ovr-window-to-time]
window = "10s"
"#;

/// What the environment says, as `RETRY_RUNTIME__...` variables would.
const VARIABLES: &[(&str, &str)] = &[
    ("RETRY_RUNTIME__BULKHEAD__OVR_ENV_DB__MAX_CONCURRENT", "1"),
    ("RETRY_RUNTIME__RATE_LIMIT__OVR_ENV_API__PER_SECOND", "1"),
    ("RETRY_RUNTIME__RATE_LIMIT__OVR_ENV_API__BURST", "3"),
    ("RETRY_RUNTIME__BREAKER__OVR_WINDOW_TO_COUNT__WINDOW", "4"),
];

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    let file = Overrides::from_toml(OVERRIDES, "test_config_overrides_limits").unwrap();
    let variables = VARIABLES
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()));
    let environment = Overrides::from_variables(variables).unwrap();
    file.merged_with(environment)
}

fn installed() {
    crate::installed();
}

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    Full { max_concurrent: u32 },
    Limited,
    Open,
}

impl From<BulkheadFull> for Error {
    fn from(full: BulkheadFull) -> Self {
        Error::Full {
            max_concurrent: full.max_concurrent,
        }
    }
}

impl From<RateLimited> for Error {
    fn from(_: RateLimited) -> Self {
        Error::Limited
    }
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Open
    }
}

// ---------------------------------------------------------------------------------------------
// max_concurrent: compiled 10, overridden lower.

/// Calls itself `depth` times, each call inside the one before it: every call holds its slot
/// while the next one asks for one, so the deepest call that runs is the bulkhead's size.
#[retry_runtime::bulkhead(name = "ovr-max_concurrent-sync", max_concurrent = 10)]
fn nested(depth: u32, deepest: &Cell<u32>) -> Result<(), Error> {
    descend(depth, deepest, nested)
}

/// One level of a nested call: records the depth reached, then calls `next` one level deeper,
/// up to 10.
fn descend(
    depth: u32,
    deepest: &Cell<u32>,
    next: fn(u32, &Cell<u32>) -> Result<(), Error>,
) -> Result<(), Error> {
    deepest.set(deepest.get().max(depth));
    if depth < 10 {
        next(depth + 1, deepest)?;
    }
    Ok(())
}

#[test]
fn max_concurrent_override_caps_a_sync_site() {
    installed();
    let deepest = Cell::new(0);
    assert_eq!(nested(1, &deepest), Err(Error::Full { max_concurrent: 2 }));
    assert_eq!(deepest.get(), 2, "2 calls at once, not 10");
    let handle = bulkhead("ovr-max_concurrent-sync").unwrap();
    assert_eq!(handle.max_concurrent(), 2);
    assert_eq!(handle.available(), 2, "every slot given back");
}

#[derive(Default)]
struct Running {
    now: Cell<u32>,
    most: Cell<u32>,
}

#[retry_runtime::bulkhead(
    name = "ovr-max_concurrent-async",
    max_concurrent = 10,
    max_wait = "50ms"
)]
async fn hold(running: &Running) -> Result<(), Error> {
    running.now.set(running.now.get() + 1);
    running.most.set(running.most.get().max(running.now.get()));
    tokio::time::sleep(100 * MS).await;
    running.now.set(running.now.get() - 1);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn max_concurrent_override_caps_an_async_site() {
    installed();
    let running = Running::default();
    // Five calls at once: three run, two wait their 50 ms (the slots free at 100 ms) and are
    // rejected.
    let (a, b, c, d, e) = tokio::join!(
        hold(&running),
        hold(&running),
        hold(&running),
        hold(&running),
        hold(&running),
    );
    let results = [a, b, c, d, e];
    assert_eq!(running.most.get(), 3, "3 calls at once, not 10");
    let rejected = results
        .iter()
        .filter(|result| **result == Err(Error::Full { max_concurrent: 3 }))
        .count();
    assert_eq!((results.len() - rejected, rejected), (3, 2));
    let handle = bulkhead("ovr-max_concurrent-async").unwrap();
    assert_eq!(handle.counts().rejected, 2);
    // Later, a slot is free at once.
    assert_eq!(hold(&running).await, Ok(()));
}

#[retry_runtime::bulkhead(name = "ovr-env-db", max_concurrent = 10)]
fn env_nested(depth: u32, deepest: &Cell<u32>) -> Result<(), Error> {
    descend(depth, deepest, env_nested)
}

#[test]
fn an_environment_variable_overrides_max_concurrent_over_the_file() {
    installed();
    let deepest = Cell::new(0);
    assert_eq!(
        env_nested(1, &deepest),
        Err(Error::Full { max_concurrent: 1 })
    );
    assert_eq!(deepest.get(), 1, "the variable's 1, not the file's 4");
    assert_eq!(bulkhead("ovr-env-db").unwrap().max_concurrent(), 1);
}

// ---------------------------------------------------------------------------------------------
// per_second and burst: compiled 100 a second with a burst of 20, overridden to 10 a second
// with a burst of 2.

#[rate_limit(name = "ovr-rate-sync", per_second = 100, burst = 20)]
fn limited_sync() -> Result<(), Error> {
    Ok(())
}

#[test]
fn per_second_and_burst_overrides_change_what_a_sync_site_admits() {
    installed();
    let paused = pause_sync_time();
    assert_eq!(limited_sync(), Ok(()));
    assert_eq!(limited_sync(), Ok(()));
    assert_eq!(limited_sync(), Err(Error::Limited), "a burst of 2, not 20");
    paused.advance(50 * MS);
    assert_eq!(limited_sync(), Err(Error::Limited), "one permit per 100 ms");
    paused.advance(50 * MS);
    assert_eq!(limited_sync(), Ok(()));
    let config = *rate_limiter("ovr-rate-sync").unwrap().config();
    assert_eq!((config.per_second(), config.burst()), (10, 2));
}

#[rate_limit(name = "ovr-rate-async", per_second = 100, burst = 20)]
async fn limited_async() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn per_second_and_burst_overrides_change_what_an_async_site_admits() {
    installed();
    assert_eq!(limited_async().await, Ok(()));
    assert_eq!(limited_async().await, Ok(()));
    assert_eq!(limited_async().await, Err(Error::Limited), "a burst of 2");
    tokio::time::advance(50 * MS).await;
    assert_eq!(limited_async().await, Err(Error::Limited));
    tokio::time::advance(50 * MS).await;
    assert_eq!(limited_async().await, Ok(()));
    // A second later: the burst again, no more.
    tokio::time::advance(SECOND).await;
    assert_eq!(limited_async().await, Ok(()));
    assert_eq!(limited_async().await, Ok(()));
    assert_eq!(limited_async().await, Err(Error::Limited));
}

#[rate_limit(name = "ovr-burst-follows", per_second = 100)]
async fn follows() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_burst_the_site_left_to_per_second_follows_an_overridden_per_second() {
    installed();
    for _ in 0..5 {
        assert_eq!(follows().await, Ok(()));
    }
    assert_eq!(
        follows().await,
        Err(Error::Limited),
        "a burst of 5, not 100"
    );
    let config = *rate_limiter("ovr-burst-follows").unwrap().config();
    assert_eq!((config.per_second(), config.burst()), (5, 5));
}

#[rate_limit(name = "ovr-env-api", per_second = 100, burst = 20)]
async fn env_limited() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn environment_variables_override_per_second_and_burst() {
    installed();
    for _ in 0..3 {
        assert_eq!(env_limited().await, Ok(()));
    }
    assert_eq!(env_limited().await, Err(Error::Limited));
    tokio::time::advance(SECOND).await;
    assert_eq!(env_limited().await, Ok(()), "one a second");
    assert_eq!(env_limited().await, Err(Error::Limited));
    let config = *rate_limiter("ovr-env-api").unwrap().config();
    assert_eq!((config.per_second(), config.burst()), (1, 3));
}

// ---------------------------------------------------------------------------------------------
// window: a count overridden to a duration, and a duration to a count.

#[circuit_breaker(
    name = "ovr-window-to-time",
    failure_rate = 0.5,
    window = 8,
    min_calls = 4
)]
async fn counted(fail: bool) -> Result<(), Error> {
    if fail { Err(Error::Down) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn a_count_window_overridden_to_a_duration_forgets_old_failures() {
    installed();
    let name = "ovr-window-to-time";
    // Compiled, the window holds the last 8 calls however old; overridden, the last 10 s.
    assert_eq!(counted(true).await, Err(Error::Down));
    assert_eq!(counted(true).await, Err(Error::Down));
    tokio::time::advance(12 * SECOND).await;
    let handle = breaker(name).unwrap();
    assert_eq!(handle.failure_rate(), None, "the failures left the window");
    assert_eq!(counted(false).await, Ok(()));
    assert_eq!(counted(false).await, Ok(()));
    assert_eq!(counted(false).await, Ok(()));
    assert_eq!(counted(true).await, Err(Error::Down));
    assert_eq!(handle.state(), BreakerState::Closed, "1 failure in 4");
    let config = handle.config();
    assert_eq!(config.time_window(), Some(10 * SECOND));
    assert_eq!(config.min_calls(), 4, "the site's own min_calls stays");
}

#[circuit_breaker(
    name = "ovr-window-to-count",
    failure_rate = 0.5,
    window = "10s",
    min_calls = 4
)]
fn timed(fail: bool) -> Result<(), Error> {
    if fail { Err(Error::Down) } else { Ok(()) }
}

#[test]
fn a_duration_window_overridden_to_a_count_remembers_failures_however_old() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-window-to-count";
    assert_eq!(timed(true), Err(Error::Down));
    assert_eq!(timed(true), Err(Error::Down));
    // Compiled, an hour would empty the window; overridden, it holds the last 4 calls.
    paused.advance(Duration::from_secs(3600));
    assert_eq!(timed(false), Ok(()));
    assert_eq!(timed(false), Ok(()));
    let handle = breaker(name).unwrap();
    assert_eq!(
        handle.state(),
        BreakerState::Open,
        "2 failures in the last 4 calls"
    );
    assert_eq!(timed(false), Err(Error::Open));
    let config = handle.config();
    assert_eq!((config.time_window(), config.window()), (None, 4));
}

// ---------------------------------------------------------------------------------------------
// Bad values: refused at load, with the key and the reason.

fn rejection(toml: &str) -> String {
    Overrides::from_toml(toml, "app.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_bulkhead_values_are_rejected_at_load() {
    assert_eq!(
        rejection("[bulkhead.db]\nmax_concurrent = 0"),
        "app.toml: `bulkhead.db.max_concurrent`: 0 is out of range: a whole number from 1 to 1000000",
    );
    assert_eq!(
        rejection("[bulkhead.db]\nmax_concurrent = 1000001"),
        "app.toml: `bulkhead.db.max_concurrent`: 1000001 is out of range: a whole number from 1 to 1000000",
    );
    assert_eq!(
        rejection("[bulkhead.db]\nmax_concurrent = \"10\""),
        "app.toml: `bulkhead.db.max_concurrent`: expected a whole number, found the string \"10\"",
    );
    assert_eq!(
        rejection("[bulkhead.db]\nmax_concurent = 10"),
        "app.toml: `bulkhead.db.max_concurent`: unknown key (did you mean `max_concurrent`?); the key of `bulkhead` is max_concurrent",
    );
    assert_eq!(
        rejection("[bulkhead.db]\nmax_wait = \"50ms\""),
        "app.toml: `bulkhead.db.max_wait`: `max_wait` belongs to each site (`#[bulkhead(max_wait = ...)]`), not to the named bulkhead, so it cannot be overridden; the key of `bulkhead` is max_concurrent",
    );
    let long = "9".repeat(100);
    let clipped = rejection(&format!("[bulkhead.db]\nmax_concurrent = \"{long}\""));
    assert!(
        clipped.ends_with(&format!("found the string \"{}…\"", "9".repeat(64))),
        "{clipped}"
    );
}

#[test]
fn bad_rate_limit_values_are_rejected_at_load() {
    assert_eq!(
        rejection("[rate_limit.api]\nper_second = 0"),
        "app.toml: `rate_limit.api.per_second`: 0 is out of range: a whole number from 1 to 1000000000",
    );
    assert_eq!(
        rejection("[rate_limit.api]\nburst = 1000000001"),
        "app.toml: `rate_limit.api.burst`: 1000000001 is out of range: a whole number from 1 to 1000000000",
    );
    assert_eq!(
        rejection("[rate_limit.api]\nper_second = 2.5"),
        "app.toml: `rate_limit.api.per_second`: expected a whole number, found the number 2.5",
    );
    assert_eq!(
        rejection("[rate_limit.api]\nrate = 10"),
        "app.toml: `rate_limit.api.rate`: unknown key; the keys of `rate_limit` are per_second and burst",
    );
    assert_eq!(
        rejection("[rate_limit.api]\nmax_wait = \"0ms\""),
        "app.toml: `rate_limit.api.max_wait`: `max_wait` belongs to each site (`#[rate_limit(max_wait = ...)]`), not to the named rate limiter, so it cannot be overridden; the keys of `rate_limit` are per_second and burst",
    );
    let duplicate = Overrides::from_json(
        r#"{"rate_limit": {"api": {"burst": 1, "burst": 2}}}"#,
        "app.json",
    )
    .unwrap_err();
    assert_eq!(
        duplicate.to_string(),
        "app.json: `rate_limit.api.burst`: duplicate key; write each key once per section",
    );
}

#[test]
fn bad_environment_values_are_rejected_with_the_variable() {
    let error = |name: &str, value: &str| {
        Overrides::from_variables([(name.to_owned(), value.to_owned())])
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error("RETRY_RUNTIME__BULKHEAD__DB__MAX_CONCURRENT", "0"),
        "environment: `RETRY_RUNTIME__BULKHEAD__DB__MAX_CONCURRENT`: 0 is out of range: a whole number from 1 to 1000000",
    );
    assert_eq!(
        error("RETRY_RUNTIME__RATE_LIMIT__API__BURST", "many"),
        "environment: `RETRY_RUNTIME__RATE_LIMIT__API__BURST`: expected a whole number, found the string \"many\"",
    );
    assert!(
        error("RETRY_RUNTIME__RATE_LIMIT__API__MAX_WAIT", "1s")
            .contains("`max_wait` belongs to each site"),
    );
    assert!(error("RETRY_RUNTIME__BREAKER__DB__WINDOW", "5ns").contains("too short to split"),);
    // Both kinds of window read from a variable.
    for value in ["20", "10s"] {
        Overrides::from_variables([(
            "RETRY_RUNTIME__BREAKER__DB__WINDOW".to_owned(),
            value.to_owned(),
        )])
        .unwrap();
    }
}

#[test]
fn a_window_is_a_count_or_a_duration_within_bounds() {
    for window in [
        "1",
        "1048576",
        "\"10ns\"",
        "\"10s\"",
        "\"18446744073.709551615s\"",
    ] {
        Overrides::from_toml(&format!("[breaker.db]\nwindow = {window}"), "app.toml").unwrap();
    }
    Overrides::from_json(r#"{"breaker": {"db": {"window": "1m"}}}"#, "app.json").unwrap();
    assert_eq!(
        rejection("[breaker.db]\nwindow = \"9ns\""),
        "app.toml: `breaker.db.window`: a time-based window of 9ns is too short to split into its ten buckets; give at least 10ns, such as \"10s\"",
    );
    assert_eq!(
        rejection("[breaker.db]\nwindow = 0"),
        "app.toml: `breaker.db.window`: 0 is out of range: a whole number from 1 to 1048576",
    );
    assert_eq!(
        rejection("[breaker.db]\nwindow = 2.5"),
        "app.toml: `breaker.db.window`: expected a whole number of calls (such as 20) or a duration string (such as \"10s\"), found the number 2.5",
    );
    assert!(rejection("[breaker.db]\nwindow = \"ten seconds\"").contains("breaker.db.window"));
    assert!(rejection("[breaker.db]\nwindow = true").ends_with("found a boolean"));
}

// ---------------------------------------------------------------------------------------------
// Every override named a site: run every site once in a scope of names of its own (so the
// process-wide bulkheads, limiters and breakers the other tests use are untouched), then no
// name is unmatched.

#[tokio::test(start_paused = true)]
async fn every_override_matches_a_bulkhead_rate_limiter_or_breaker() {
    installed();
    let _scope = retry_runtime::testing::scope();
    {
        let _paused = pause_sync_time();
        let _ = nested(10, &Cell::new(0));
        let _ = env_nested(10, &Cell::new(0));
        let _ = limited_sync();
        let _ = timed(false);
    }
    let _ = hold(&Running::default()).await;
    let _ = limited_async().await;
    let _ = follows().await;
    let _ = env_limited().await;
    let _ = counted(false).await;
    assert_eq!(crate::unmatched_of(OVERRIDES), Vec::<String>::new());
    assert_eq!(
        bulkhead("ovr-env-db").unwrap().max_concurrent(),
        1,
        "the scope's own bulkhead has the override too"
    );
}
