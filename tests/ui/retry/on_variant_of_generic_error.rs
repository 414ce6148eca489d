use retry_runtime::retry;

#[retry(on = [Timeout])]
fn fetch<E>(error: E) -> Result<(), E> { Err(error) }

fn main() {}
