use retry_runtime::retry;

#[retry(delay = "2s", max_delay = "1s")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
