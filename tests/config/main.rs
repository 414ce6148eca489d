//! Configuration overrides: documents, the environment, bounds, and what each strategy's section
//! changes. Overrides install once per process, so every module that needs them gives its own
//! through an `overrides()` fn (with names no other module uses), and [`installed`] merges them
//! and installs the result before the first site runs. Tests that install from the environment
//! do it in a child process of their own.
#![cfg(feature = "config")]

mod adaptive_limit;
mod bounds;
mod chaos;
mod documents;
mod environment;
mod files_and_environment;
mod overrides_breaker_budget;
mod overrides_hedge;
mod overrides_limits;
mod overrides_retry;
mod properties;
mod throttle;

use std::sync::OnceLock;

use retry_runtime::config::{Overrides, install};

/// Installs every module's overrides, merged, once per process.
pub(crate) fn installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let parts = [
            adaptive_limit::overrides(),
            bounds::overrides(),
            chaos::overrides(),
            environment::overrides(),
            files_and_environment::overrides(),
            overrides_breaker_budget::overrides(),
            overrides_hedge::overrides(),
            overrides_limits::overrides(),
            overrides_retry::overrides(),
            throttle::overrides(),
        ];
        let merged = parts
            .into_iter()
            .reduce(Overrides::merged_with)
            .expect("at least one part");
        install(merged).unwrap();
    });
}

/// [`unmatched`](retry_runtime::config::unmatched), narrowed to the sections `document` (one
/// module's TOML) names: the other modules' sites run on their own schedule.
pub(crate) fn unmatched_of(document: &str) -> Vec<String> {
    retry_runtime::config::unmatched()
        .into_iter()
        .filter(|entry| {
            entry.split_once('.').is_some_and(|(section, name)| {
                document.contains(&format!("[{section}.{name}]"))
                    || document.contains(&format!("[{section}.\"{name}\"]"))
            })
        })
        .collect()
}
