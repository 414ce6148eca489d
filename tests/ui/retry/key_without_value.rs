use retry_runtime::retry;

#[retry(max_attempts)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
