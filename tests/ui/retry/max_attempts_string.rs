use retry_runtime::retry;

#[retry(max_attempts = "3")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
