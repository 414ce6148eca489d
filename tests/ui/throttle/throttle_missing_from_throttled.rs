use retry_runtime::throttle;

#[derive(Debug)]
struct SearchError;

#[throttle(name = "search", k = 2.0, window = "2m")]
async fn search(query: &str) -> Result<usize, SearchError> {
    Ok(query.len())
}

fn main() {}
