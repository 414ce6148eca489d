use retry_runtime::retry;

#[retry(backoff = "exponental")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
