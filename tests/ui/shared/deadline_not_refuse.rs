use retry_runtime::retry;

#[derive(Debug)]
struct StoreError;

#[retry(deadline = "later")]
fn fetch() -> Result<(), StoreError> { Ok(()) }

fn main() {}
