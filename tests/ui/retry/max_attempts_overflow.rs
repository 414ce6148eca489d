use retry_runtime::retry;

#[retry(max_attempts = 5000000000)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
