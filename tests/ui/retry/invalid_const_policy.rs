use retry_runtime::retry;

use retry_runtime::RetryPolicy;

const NEVER: RetryPolicy = RetryPolicy::builder().max_attempts(0).build_const();

#[retry(policy = NEVER)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
