use retry_runtime::retry;

#[retry(on = [Interrupted])]
fn fetch() -> std::io::Result<()> { Ok(()) }

fn main() {}
