use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
struct SearchError;

impl From<Throttled> for SearchError {
    fn from(_: Throttled) -> Self {
        SearchError
    }
}

#[throttle(name = "search", k = 0.5)]
fn below(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

#[throttle(name = "search", k = 11)]
fn above(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
