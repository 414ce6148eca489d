use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
struct SearchError;

impl From<Throttled> for SearchError {
    fn from(_: Throttled) -> Self {
        SearchError
    }
}

#[throttle(name = "search", k = 2.0, k = 3.0)]
fn search(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
