use retry_runtime::retry;

#[retry(jitter = "ful")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
