use retry_runtime::retry;

#[retry(factor = 0.5)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
