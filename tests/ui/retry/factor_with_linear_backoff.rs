use retry_runtime::retry;

#[retry(backoff = "linear", factor = 3)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
