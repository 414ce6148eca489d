use retry_runtime::retry;

#[derive(Debug)]
struct StoreError;

#[retry(attempt_timeout = "2s")]
async fn fetch() -> Result<(), StoreError> { Ok(()) }

fn main() {}
