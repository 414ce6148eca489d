use retry_runtime::retry;

#[retry(sleeper = MySleeper)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
