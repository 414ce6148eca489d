use retry_runtime::retry;

#[retry(attempt_span = "yes")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
