use retry_runtime::retry;

#[retry(delay = "20s")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
