use retry_runtime::retry;

#[retry(attempt_timeout = "0s")]
async fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
