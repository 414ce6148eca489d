//! Saves on transition run on the store's writer thread, not the caller's, and in order: after
//! many threads trip and reset breakers at once, `flush` leaves the file equal to the final state.
#![cfg(feature = "persist")]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use retry_runtime::persist::{BreakerStore, PersistError};
use retry_runtime::{BreakerConfig, BreakerState, CircuitBreaker, register_breaker};

fn file(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "retry-runtime-persist-saves-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// Everything logged in this test binary, each line with the name of the thread that logged it.
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_thread_names(true)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_save_on_transition_runs_on_the_store_writer_thread() {
    let log = log();
    // A directory that does not exist: the save fails, and says where it ran.
    let path = file("no-such-directory").join("breakers.state");
    let store = BreakerStore::new(&path);
    let saving = store.save_on_transition();
    let handle = register_breaker("persist-saves-thread", BreakerConfig::DEFAULT);
    handle.force_open();
    drop(saving);
    // A save asked for before the guard was dropped still runs; flush waits for it and
    // reports how it went.
    match store.flush() {
        Err(PersistError::Io { path: failed, .. }) => assert_eq!(failed, path),
        other => panic!("expected the save into a missing directory to fail, got {other:?}"),
    }
    let log = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let failure = log
        .lines()
        .find(|line| {
            line.contains("saving breaker state failed")
                && line.contains(&path.display().to_string())
        })
        .unwrap_or_else(|| panic!("the failed save was not logged:\n{log}"));
    assert!(
        failure.contains("retry-runtime-persist"),
        "not logged on the writer thread: {failure}"
    );
    let caller = std::thread::current().name().unwrap().to_owned();
    assert!(
        !failure.contains(&caller),
        "logged on the calling thread: {failure}"
    );
    handle.reset();
}

#[test]
fn flush_with_nothing_asked_for_returns_at_once() {
    let store = BreakerStore::new(file("nothing"));
    store.flush().unwrap();
    let _saving = store.save_on_transition();
    store.flush().unwrap();
}

const RACERS: [&str; 4] = [
    "persist-saves-race-0",
    "persist-saves-race-1",
    "persist-saves-race-2",
    "persist-saves-race-3",
];

/// One thread's turn: a mix of manual transitions and trips.
fn churn(breakers: &[&'static CircuitBreaker], round: usize, thread: usize) {
    for step in 0..16 {
        let breaker = breakers[(thread + step) % breakers.len()];
        match (round + 3 * thread + step) % 5 {
            0 => breaker.force_open(),
            1 => breaker.reset(),
            2 => breaker.disable(),
            3 => breaker.metrics_only(),
            _ => {
                if let Ok(permit) = breaker.try_acquire() {
                    permit.record_failure();
                }
            }
        }
    }
}

/// The state each racer has in the file.
fn saved_states(text: &str) -> Vec<String> {
    RACERS
        .iter()
        .map(|name| {
            let prefix = format!("{name}\t");
            let line = text
                .lines()
                .find(|line| line.starts_with(&prefix))
                .unwrap_or_else(|| panic!("{name} is not in the file:\n{text}"));
            line.split('\t').nth(1).unwrap().to_owned()
        })
        .collect()
}

#[test]
fn after_a_flush_the_file_holds_the_final_state_however_the_saves_interleaved() {
    let config = BreakerConfig::builder()
        .failure_threshold(1)
        .open_for(Duration::from_secs(3600))
        .max_open_for(Duration::from_secs(3600))
        .build()
        .unwrap();
    let breakers: Vec<&'static CircuitBreaker> = RACERS
        .iter()
        .map(|name| register_breaker(name, config))
        .collect();
    let store = BreakerStore::new(file("race"));
    let _saving = store.save_on_transition();
    for round in 0..60 {
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let breakers = &breakers;
                scope.spawn(move || churn(breakers, round, thread));
            }
        });
        store.flush().unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        let expected: Vec<String> = breakers
            .iter()
            .map(|breaker| match breaker.state() {
                // Saved as open with no time left, so that its next call is a probe.
                BreakerState::HalfOpen => BreakerState::Open.name().to_owned(),
                state => state.name().to_owned(),
            })
            .collect();
        assert_eq!(saved_states(&text), expected, "round {round}:\n{text}");
    }
}

const OWN: [&str; 4] = [
    "persist-saves-own-0",
    "persist-saves-own-1",
    "persist-saves-own-2",
    "persist-saves-own-3",
];

/// Four threads each flip their own breaker between forced open and closed, 5 to 25 times;
/// after joining them, `flush` means every one of those transitions is in the file. Many
/// rounds, since a save request answered by a snapshot taken before its transition showed up
/// in a few rounds out of hundreds.
#[test]
fn after_a_flush_the_file_holds_every_transition_made_before_it() {
    let breakers: Vec<&'static CircuitBreaker> = OWN
        .iter()
        .map(|name| register_breaker(name, BreakerConfig::DEFAULT))
        .collect();
    let store = BreakerStore::new(file("own"));
    let _saving = store.save_on_transition();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..400 {
        let flips: Vec<usize> = (0..OWN.len())
            .map(|_| {
                // xorshift: 5 to 25 flips, different for each thread and round.
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                5 + usize::try_from(seed % 21).unwrap()
            })
            .collect();
        std::thread::scope(|scope| {
            for (breaker, flips) in breakers.iter().zip(&flips) {
                scope.spawn(move || {
                    for flip in 0..*flips {
                        if flip % 2 == 0 {
                            breaker.force_open();
                        } else {
                            breaker.reset();
                        }
                    }
                });
            }
        });
        store.flush().unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        let saved: Vec<String> = OWN
            .iter()
            .map(|name| {
                let prefix = format!("{name}\t");
                let line = text.lines().find(|line| line.starts_with(&prefix));
                let line = line.unwrap_or_else(|| panic!("{name} is not in the file:\n{text}"));
                line.split('\t').nth(1).unwrap().to_owned()
            })
            .collect();
        let live: Vec<String> = breakers
            .iter()
            .map(|breaker| breaker.state().name().to_owned())
            .collect();
        assert_eq!(saved, live, "round {round} (flips {flips:?}):\n{text}");
    }
}
