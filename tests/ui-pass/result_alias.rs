//! A return type spelled through an alias works wherever the attributes need not see into it:
//! every `Err` retried, `when`, `on` with full paths, and `on_result` on a plain value alias.
use std::cell::Cell;

use retry_runtime::{circuit_breaker, retry};

#[derive(Debug, PartialEq)]
pub enum ApiError {
    Transport(String),
    Status(u16),
    Rejected,
}

impl From<retry_runtime::CircuitOpen> for ApiError {
    fn from(_: retry_runtime::CircuitOpen) -> Self {
        ApiError::Rejected
    }
}

impl ApiError {
    fn is_transport(&self) -> bool {
        matches!(self, ApiError::Transport(_))
    }
}

type Answer = Result<u16, ApiError>;

fn flaky(calls: &Cell<u32>) -> Answer {
    calls.set(calls.get() + 1);
    if calls.get() < 2 {
        Err(ApiError::Transport("reset".into()))
    } else {
        Ok(200)
    }
}

#[retry(delay = "0ms")]
fn every_error(calls: &Cell<u32>) -> Answer {
    flaky(calls)
}

#[retry(delay = "0ms", when = ApiError::is_transport)]
fn with_when(calls: &Cell<u32>) -> Answer {
    flaky(calls)
}

#[circuit_breaker(name = "alias-pass")]
#[retry(delay = "0ms", on = [ApiError::Transport(_), ApiError::Status(500..=599)])]
fn with_full_paths(calls: &Cell<u32>) -> Answer {
    flaky(calls)
}

/// A plain value behind an alias: `on_result` judges it.
type Status = u16;

fn unavailable(status: &u16) -> bool {
    *status == 503
}

#[retry(delay = "0ms", on_result = unavailable)]
fn plain_value(calls: &Cell<u32>) -> Status {
    calls.set(calls.get() + 1);
    if calls.get() < 2 { 503 } else { 200 }
}

fn main() {
    for call in [every_error, with_when, with_full_paths] {
        let calls = Cell::new(0);
        assert_eq!(call(&calls), Ok(200));
        assert_eq!(calls.get(), 2);
    }
    let calls = Cell::new(0);
    assert_eq!(plain_value(&calls), 200);
    assert_eq!(calls.get(), 2);
}
