use retry_runtime::throttle;

#[throttle(name = "search")]
fn search(query: &str) -> Option<usize> {
    Some(query.len())
}

fn main() {}
