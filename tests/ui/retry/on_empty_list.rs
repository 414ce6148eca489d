use retry_runtime::retry;

#[retry(on = [])]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
