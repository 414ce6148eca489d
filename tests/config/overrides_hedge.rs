//! `[hedge.name]`: an override on a `#[hedge]` site compiled with other values takes effect,
//! shown by when its hedges start on tokio's paused clock and by its `config()`; a quantile
//! `after` keeps the site's floor; a `floor` for a fixed `after` keeps the site's settings; bad
//! values are refused at load with the key and the reason.
//!
//! Overrides install once per process, so this binary installs one set, from a TOML document
//! merged with environment variables (given as a list), before any site runs; every test that
//! calls a site calls `installed()` first. Each test has its own names.
#![cfg(feature = "config")]

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::config::Overrides;
use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::{HedgeDelay, hedge};

const MS: Duration = Duration::from_millis(1);

const OVERRIDES: &str = r#"
[hedge.ovr-hedge-after]
after = "5ms"
max_hedges = 2

[hedge.ovr-hedge-quantile]
after = "p99"

[hedge.ovr-hedge-floor]
floor = "3ms"

[hedge.ovr-hedge-floor-on-fixed]
floor = "3ms"
"#;

const VARIABLES: &[(&str, &str)] = &[("RETRY_RUNTIME__HEDGE__OVR_HEDGE_ENV__MAX_HEDGES", "3")];

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    let file = Overrides::from_toml(OVERRIDES, "test_config_overrides_hedge").unwrap();
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
struct Slow;

/// Every attempt hangs for a minute but the last, which answers in 1 ms.
async fn replica(calls: &AtomicU32, answering: u32) -> Result<u32, Slow> {
    let call = calls.fetch_add(1, Ordering::SeqCst);
    let wait = if call == answering {
        MS
    } else {
        Duration::from_secs(60)
    };
    tokio::time::sleep(wait).await;
    Ok(call)
}

/// When each hedge of `site` started, from the call's start.
fn hedge_starts(site: &'static str) -> (std::sync::Arc<Mutex<Vec<Duration>>>, impl Drop) {
    let starts = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = starts.clone();
    let guard = install_hook(move |event: &Event<'_>| {
        if let Event::HedgeStarted { name, elapsed, .. } = *event
            && name == site
        {
            seen.lock().unwrap().push(elapsed);
        }
    });
    (starts, guard)
}

#[retry_runtime::hedge(name = "ovr-hedge-after", after = "1s")]
async fn overridden_after(calls: &AtomicU32) -> Result<u32, Slow> {
    replica(calls, 2).await
}

#[tokio::test(start_paused = true)]
async fn after_and_max_hedges_overrides_change_when_and_how_many_hedges_start() {
    installed();
    let (starts, _hook) = hedge_starts("ovr-hedge-after");
    let calls = AtomicU32::new(0);
    // Compiled: one hedge after 1 s. Overridden: two, 5 ms apart; the second answers.
    assert_eq!(overridden_after(&calls).await, Ok(2));
    assert_eq!(*starts.lock().unwrap(), [5 * MS, 10 * MS]);
    let config = hedge("ovr-hedge-after").unwrap().config();
    assert_eq!(
        (config.after(), config.max_hedges()),
        (HedgeDelay::Fixed(5 * MS), 2)
    );
}

#[retry_runtime::hedge(name = "ovr-hedge-quantile", after = "p95", floor = "7ms")]
async fn overridden_quantile(calls: &AtomicU32) -> Result<u32, Slow> {
    replica(calls, 1).await
}

#[tokio::test(start_paused = true)]
async fn a_quantile_override_keeps_the_sites_floor() {
    installed();
    let calls = AtomicU32::new(0);
    assert_eq!(overridden_quantile(&calls).await, Ok(1));
    let site = hedge("ovr-hedge-quantile").unwrap();
    assert_eq!(
        site.config().after(),
        HedgeDelay::Quantile {
            per_mille: 990,
            floor: 7 * MS
        }
    );
    assert_eq!(site.delay(), 7 * MS);
}

#[retry_runtime::hedge(name = "ovr-hedge-floor", after = "p95", floor = "40ms")]
async fn overridden_floor(calls: &AtomicU32) -> Result<u32, Slow> {
    replica(calls, 1).await
}

#[tokio::test(start_paused = true)]
async fn a_floor_override_lowers_the_delay_before_latencies_are_known() {
    installed();
    let (starts, _hook) = hedge_starts("ovr-hedge-floor");
    let calls = AtomicU32::new(0);
    assert_eq!(overridden_floor(&calls).await, Ok(1));
    assert_eq!(*starts.lock().unwrap(), [3 * MS]);
}

#[retry_runtime::hedge(name = "ovr-hedge-floor-on-fixed", after = "20ms")]
async fn floor_on_fixed(calls: &AtomicU32) -> Result<u32, Slow> {
    replica(calls, 1).await
}

#[tokio::test(start_paused = true)]
async fn a_floor_for_a_fixed_after_does_not_fit_and_the_site_keeps_its_settings() {
    installed();
    let (starts, _hook) = hedge_starts("ovr-hedge-floor-on-fixed");
    let calls = AtomicU32::new(0);
    assert_eq!(floor_on_fixed(&calls).await, Ok(1));
    assert_eq!(*starts.lock().unwrap(), [20 * MS]);
    let config = hedge("ovr-hedge-floor-on-fixed").unwrap().config();
    assert_eq!(config.after(), HedgeDelay::Fixed(20 * MS));
}

#[retry_runtime::hedge(name = "ovr-hedge-env", after = "2ms")]
async fn overridden_by_the_environment(calls: &AtomicU32) -> Result<u32, Slow> {
    replica(calls, 3).await
}

#[tokio::test(start_paused = true)]
async fn an_environment_variable_overrides_max_hedges() {
    installed();
    let calls = AtomicU32::new(0);
    assert_eq!(overridden_by_the_environment(&calls).await, Ok(3));
    assert_eq!(hedge("ovr-hedge-env").unwrap().counts().hedges, 3);
}

#[test]
fn bad_hedge_values_are_refused_at_load_with_the_key_and_the_reason() {
    let refused = |document: &str| {
        Overrides::from_toml(document, "hedge.toml")
            .unwrap_err()
            .to_string()
    };
    let error = refused("[hedge.a]\nafter = \"p100\"");
    assert!(
        error.contains("after") && error.contains("p50 to p99.9"),
        "{error}"
    );
    let error = refused("[hedge.a]\nafter = 50");
    assert!(error.contains("a quantile such as \"p95\""), "{error}");
    let error = refused("[hedge.a]\nafter = \"2h\"");
    assert!(error.contains("at most an hour"), "{error}");
    let error = refused("[hedge.a]\nfloor = \"2h\"");
    assert!(
        error.contains("floor") && error.contains("at most an hour"),
        "{error}"
    );
    for count in ["0", "11"] {
        let error = refused(&format!("[hedge.a]\nmax_hedges = {count}"));
        assert!(error.contains("a whole number from 1 to 10"), "{error}");
    }
    let error = refused("[hedge.a]\nmax_hedge = 2");
    assert!(
        error.contains("after") && error.contains("floor") && error.contains("max_hedges"),
        "{error}"
    );
    let long = format!("[hedge.a]\nafter = \"{}\"", "p".repeat(200));
    let error = refused(&long);
    assert!(error.len() < 400, "{error}");
}
