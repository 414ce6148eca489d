use retry_runtime::retry;

#[retry(on = [Timeout])]
fn fetch() -> Result<(), &'static str> { Ok(()) }

fn main() {}
