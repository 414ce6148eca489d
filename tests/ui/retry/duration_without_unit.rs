use retry_runtime::retry;

#[retry(delay = "250")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
