use retry_runtime::retry;

#[retry(max_elapsed = "0ms")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
