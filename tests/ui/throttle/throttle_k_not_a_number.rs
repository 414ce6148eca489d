use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
struct SearchError;

impl From<Throttled> for SearchError {
    fn from(_: Throttled) -> Self {
        SearchError
    }
}

#[throttle(name = "search", k = "2")]
fn quoted(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

#[throttle(name = "search", k = two)]
fn named(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
