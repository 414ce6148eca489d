use retry_runtime::retry;

#[derive(Debug)]
enum StoreError { Timeout, Io }

#[retry(on = [Timeout, Unavailable])]
fn fetch() -> Result<(), StoreError> { Err(StoreError::Io) }

fn main() {}
