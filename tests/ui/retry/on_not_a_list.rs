use retry_runtime::retry;

#[derive(Debug)]
enum StoreError { Timeout }

#[retry(on = Timeout)]
fn fetch() -> Result<(), StoreError> { Err(StoreError::Timeout) }

fn main() {}
