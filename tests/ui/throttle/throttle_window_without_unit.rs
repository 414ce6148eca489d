use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
struct SearchError;

impl From<Throttled> for SearchError {
    fn from(_: Throttled) -> Self {
        SearchError
    }
}

#[throttle(name = "search", window = 120)]
fn unitless(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

#[throttle(name = "search", window = "2 minutes")]
fn spelled_out(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

#[throttle(name = "search", window)]
fn without_value(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

#[throttle(name = "search", window = two_minutes)]
fn not_a_literal(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
