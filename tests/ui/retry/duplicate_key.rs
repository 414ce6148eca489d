use retry_runtime::retry;

#[retry(delay = "10ms", delay = "20ms")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
