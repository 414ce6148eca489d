use retry_runtime::retry;

#[retry(max_attempts = 0)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
