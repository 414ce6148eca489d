use retry_runtime::retry;

#[retry(delay = 100)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
