//! `[chaos.name]` sections: a `#[chaos]` site, inert in the code, injects what its section says,
//! from TOML, JSON or the environment, without recompiling; the real environment switches it on
//! in a child process. Bad values are refused at load with the key and the fix.
//!
//! Overrides install once per process, so this binary installs one set (a TOML document merged
//! with variables given as a list) before any site runs; every test that calls a site calls
//! `installed()` first, and holds a scope, whose chaos points start from the installed sections
//! afresh, so tests running in parallel never share one.
#![cfg(feature = "config")]

use std::cell::Cell;
use std::process::Command;
use std::time::Duration;

use retry_runtime::config::{Overrides, install, unmatched};
use retry_runtime::testing::{pause_sync_time, scope};
use retry_runtime::{ChaosConfig, InjectedFault, chaos};

#[derive(Debug, PartialEq)]
enum StoreError {
    Injected(InjectedFault),
}

impl From<InjectedFault> for StoreError {
    fn from(fault: InjectedFault) -> Self {
        StoreError::Injected(fault)
    }
}

const OVERRIDES: &str = r#"
[chaos.file-faults]
fault_rate = 1.0

[chaos.file-latency]
latency = "300ms"

# Kept in the file, switched off.
[chaos.file-off]
fault_rate = 1.0
enabled = false

# The environment turns its latency off, and wins.
[chaos."env.merged"]
fault_rate = 1
latency = "1s"

[chaos.never-used]
fault_rate = 0.5
"#;

/// What the environment says, as `RETRY_RUNTIME__...` variables would.
const VARIABLES: &[(&str, &str)] = &[
    ("RETRY_RUNTIME__CHAOS__ENV_MERGED__LATENCY_RATE", "0"),
    ("RETRY_RUNTIME__CHAOS__ENV_ONLY__FAULT_RATE", "1"),
    ("RETRY_RUNTIME__CHAOS__ENV_ONLY__ENABLED", "TRUE"),
];

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    let file = Overrides::from_toml(OVERRIDES, "test_config_chaos").unwrap();
    let variables = VARIABLES
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()));
    let environment = Overrides::from_variables(variables).unwrap();
    file.merged_with(environment)
}

fn installed() {
    crate::installed();
}

#[retry_runtime::chaos(name = "file-faults")]
fn file_faults(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[retry_runtime::chaos(name = "file-latency")]
async fn file_latency(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[retry_runtime::chaos(name = "file-off")]
fn file_off() -> Result<u32, StoreError> {
    Ok(1)
}

#[retry_runtime::chaos(name = "env.merged")]
fn env_merged() -> Result<u32, StoreError> {
    Ok(1)
}

#[retry_runtime::chaos(name = "env-only")]
fn env_only() -> Result<u32, StoreError> {
    Ok(1)
}

#[retry_runtime::chaos(name = "not-configured")]
fn not_configured() -> Result<u32, StoreError> {
    Ok(1)
}

fn injected(result: Result<u32, StoreError>) -> InjectedFault {
    match result {
        Err(StoreError::Injected(fault)) => fault,
        Ok(value) => panic!("expected an injected fault, got Ok({value})"),
    }
}

#[test]
fn a_section_switches_a_site_on_and_clear_switches_it_off() {
    installed();
    let _scope = scope();
    let runs = Cell::new(0);
    assert_eq!(injected(file_faults(&runs)).name, "file-faults");
    assert_eq!(runs.get(), 0);
    let point = chaos("file-faults").unwrap();
    assert_eq!(
        point.config(),
        Some(ChaosConfig::builder().fault_rate(1.0).build().unwrap())
    );
    point.clear();
    assert_eq!(file_faults(&runs), Ok(1));
    // A reset goes back to the section.
    retry_runtime::testing::reset_all();
    assert_eq!(point.config().unwrap().fault_rate(), 1.0);
    assert!(file_faults(&runs).is_err());
    // Other sites stay untouched.
    assert_eq!(not_configured(), Ok(1));
}

#[tokio::test(start_paused = true)]
async fn a_sections_latency_passes_on_tokios_clock() {
    installed();
    let _scope = scope();
    let runs = Cell::new(0);
    let start = tokio::time::Instant::now();
    assert_eq!(file_latency(&runs).await, Ok(1));
    // `latency_rate` defaults to 1: a latency alone delays every call.
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    assert_eq!(chaos("file-latency").unwrap().counts().latencies, 1);
}

#[test]
fn a_switched_off_section_injects_nothing() {
    installed();
    let _scope = scope();
    assert_eq!(file_off(), Ok(1));
    let config = chaos("file-off").unwrap().config().unwrap();
    assert!(!config.enabled());
    assert_eq!(config.fault_rate(), 1.0);
}

#[test]
fn the_environment_wins_key_by_key_and_names_match_in_their_environment_form() {
    installed();
    let _scope = scope();
    let paused = pause_sync_time();
    // `env.merged`: the file's fault rate and latency, the environment's latency rate of 0.
    let fault = injected(env_merged());
    assert_eq!(fault.latency, Duration::ZERO);
    assert_eq!(paused.elapsed(), Duration::ZERO);
    let config = chaos("env.merged").unwrap().config().unwrap();
    assert_eq!(
        (config.fault_rate(), config.latency(), config.latency_rate()),
        (1.0, Duration::from_secs(1), 0.0)
    );
    assert_eq!(injected(env_only()).name, "env-only");
}

#[test]
fn a_section_no_site_uses_is_unmatched() {
    installed();
    assert!(unmatched().contains(&"chaos.never-used".to_owned()));
}

/// Set in the child process: what to expect there.
const CHILD: &str = "RETRY_RUNTIME_TEST_CHAOS_CHILD";

#[retry_runtime::chaos(name = "child-store")]
fn child_store(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[retry_runtime::chaos(name = "child-store")]
async fn child_store_async(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

/// Runs `chaos_from_env_in_a_child` alone in a child process with `variables` set.
fn child(expect: &str, variables: &[(&str, &str)]) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "chaos::chaos_from_env_in_a_child", "--nocapture"])
        .env(CHILD, expect)
        .envs(variables.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Does nothing unless a test below started it as a child: there, reads the real environment
/// as a service would at start-up, and checks what the site does.
#[test]
fn chaos_from_env_in_a_child() {
    let Some(expect) = std::env::var_os(CHILD) else {
        return;
    };
    let runs = Cell::new(0);
    match expect.to_str().unwrap() {
        "faults" => {
            install(Overrides::from_env().unwrap()).unwrap();
            assert_eq!(injected(child_store(&runs)).name, "child-store");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            let started = runtime.block_on(async {
                let start = tokio::time::Instant::now();
                let fault = injected(child_store_async(&runs).await);
                assert_eq!(fault.latency, Duration::from_millis(250));
                start.elapsed()
            });
            assert_eq!(started, Duration::from_millis(250));
            assert_eq!(runs.get(), 0);
            // Switched off at run time, in the same process.
            chaos("child-store").unwrap().clear();
            assert_eq!(child_store(&runs), Ok(1));
        }
        "untouched" => {
            install(Overrides::from_env().unwrap()).unwrap();
            assert_eq!(child_store(&runs), Ok(1));
        }
        reason => {
            let error = Overrides::from_env().unwrap_err();
            assert_eq!(error.origin, "environment");
            assert_eq!(error.key, "RETRY_RUNTIME__CHAOS__CHILD_STORE__LATENCY");
            assert_eq!(error.reason, reason);
        }
    }
}

#[test]
fn the_environment_switches_chaos_on_in_a_child_process() {
    child(
        "faults",
        &[
            ("RETRY_RUNTIME__CHAOS__CHILD_STORE__FAULT_RATE", "1"),
            ("RETRY_RUNTIME__CHAOS__CHILD_STORE__LATENCY", "250ms"),
        ],
    );
    child("untouched", &[]);
    child(
        "2h is more than an hour; injected latency lasts at most an hour (`latency = \"1h\"`)",
        &[("RETRY_RUNTIME__CHAOS__CHILD_STORE__LATENCY", "2h")],
    );
}

fn rejection(toml: &str) -> String {
    Overrides::from_toml(toml, "app.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_values_are_rejected_at_load_naming_the_key_and_the_fix() {
    assert_eq!(
        rejection("[chaos.store]\nfault_rate = 1.5"),
        "app.toml: `chaos.store.fault_rate`: 1.5 is out of range: a rate is from 0 to 1 (0.05 injects into one call in 20, 1 into every call)",
    );
    assert_eq!(
        rejection("[chaos.store]\nlatency_rate = -0.1"),
        "app.toml: `chaos.store.latency_rate`: -0.1 is out of range: a rate is from 0 to 1 (0.05 injects into one call in 20, 1 into every call)",
    );
    assert_eq!(
        rejection("[chaos.store]\nlatency = \"2h\""),
        "app.toml: `chaos.store.latency`: 2h is more than an hour; injected latency lasts at most an hour (`latency = \"1h\"`)",
    );
    assert_eq!(
        rejection("[chaos.store]\nlatency = 200"),
        "app.toml: `chaos.store.latency`: expected a duration string such as \"250ms\", found the number 200",
    );
    assert_eq!(
        rejection("[chaos.store]\nfault_rat = 0.1"),
        "app.toml: `chaos.store.fault_rat`: unknown key (did you mean `fault_rate`?); the keys of `chaos` are fault_rate, latency, latency_rate and enabled",
    );
    assert_eq!(
        rejection("[chaos.store]\nenabled = \"yes\""),
        "app.toml: `chaos.store.enabled`: expected true or false, found the string \"yes\"",
    );
    assert_eq!(
        rejection("[chaos.store]\nfault_rate = true"),
        "app.toml: `chaos.store.fault_rate`: expected a number, found a boolean",
    );
    let json = Overrides::from_json(
        r#"{"chaos": {"store": {"fault_rate": 0.1, "fault_rate": 0.2}}}"#,
        "app.json",
    )
    .unwrap_err();
    assert_eq!(
        json.to_string(),
        "app.json: `chaos.store.fault_rate`: duplicate key; write each key once per section"
    );
    let variables = |pairs: &[(&str, &str)]| {
        Overrides::from_variables(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        )
    };
    let error = variables(&[("RETRY_RUNTIME__CHAOS__STORE__FAULT_RATE", "2")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "environment: `RETRY_RUNTIME__CHAOS__STORE__FAULT_RATE`: 2 is out of range: a rate is from 0 to 1 (0.05 injects into one call in 20, 1 into every call)",
    );
    let error = variables(&[("RETRY_RUNTIME__CHAOS__STORE__ENABLED", "maybe")]).unwrap_err();
    assert_eq!(
        error.reason,
        "expected true or false, found the string \"maybe\""
    );
}

#[test]
fn valid_sections_read_from_toml_and_json_alike() {
    let toml = Overrides::from_toml(
        "[chaos.store]\nfault_rate = 0.05\nlatency = \"200ms\"\nlatency_rate = 0.1\nenabled = true\n",
        "app.toml",
    )
    .unwrap();
    assert!(!toml.is_empty());
    let json = Overrides::from_json(
        r#"{"chaos": {"store": {"fault_rate": 0, "latency": "1h", "latency_rate": 1, "enabled": false}}}"#,
        "app.json",
    )
    .unwrap();
    assert!(!json.is_empty());
}
