use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
enum SearchError {
    Overloaded,
    Throttled(Throttled),
}

impl From<Throttled> for SearchError {
    fn from(throttled: Throttled) -> Self {
        SearchError::Throttled(throttled)
    }
}

#[throttle(k = 20.0, window = "10ms", on = [])]
fn search(query: &str) -> Result<usize, SearchError> {
    if query.is_empty() { Err(SearchError::Overloaded) } else { Ok(query.len()) }
}

fn main() {}
