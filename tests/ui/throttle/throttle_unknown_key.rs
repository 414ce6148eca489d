use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
struct SearchError;

impl From<Throttled> for SearchError {
    fn from(_: Throttled) -> Self {
        SearchError
    }
}

#[throttle(name = "search", max_wait = "1s")]
fn waits(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

#[throttle(name = "search", windwo = "1m")]
fn misspelt(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
