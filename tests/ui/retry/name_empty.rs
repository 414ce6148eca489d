use retry_runtime::retry;

#[retry(name = "  ")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
