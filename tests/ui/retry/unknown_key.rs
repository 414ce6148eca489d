use retry_runtime::retry;

#[retry(max_atempts = 3)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
