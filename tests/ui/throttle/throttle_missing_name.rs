use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
struct SearchError;

impl From<Throttled> for SearchError {
    fn from(_: Throttled) -> Self {
        SearchError
    }
}

#[throttle(k = 2.0, window = "2m")]
fn search(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
