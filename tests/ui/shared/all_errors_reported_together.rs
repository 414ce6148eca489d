use retry_runtime::retry;

#[retry(max_attempts = 0, delay = "fast", jitter = "random", colour = "blue")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
