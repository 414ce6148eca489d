use retry_runtime::retry;

#[retry(max_delay = "5 sec")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
