use retry_runtime::retry;

const NETWORK: retry_runtime::RetryPolicy = retry_runtime::RetryPolicy::DEFAULT;

#[retry(policy = NETWORK, max_attempts = 5, jitter = "none")]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
