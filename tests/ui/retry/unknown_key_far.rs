use retry_runtime::retry;

#[retry(retries = 3)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
