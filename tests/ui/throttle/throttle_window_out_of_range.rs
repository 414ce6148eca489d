use retry_runtime::{Throttled, throttle};

#[derive(Debug)]
struct SearchError;

impl From<Throttled> for SearchError {
    fn from(_: Throttled) -> Self {
        SearchError
    }
}

#[throttle(name = "search", window = "500ms")]
fn too_short(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

#[throttle(name = "search", window = "2h")]
fn too_long(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
