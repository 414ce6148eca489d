use retry_runtime::retry;

#[retry(factor = "2")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
