use retry_runtime::retry;

#[retry(attempt_timeout = "2s")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
