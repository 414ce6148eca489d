use retry_runtime::retry;

use std::time::Duration;
use retry_runtime::RetryPolicy;

const TIMED: RetryPolicy = RetryPolicy::builder()
    .attempt_timeout(Duration::from_secs(1))
    .build_const();

#[retry(policy = TIMED)]
fn fetch() -> Result<(), String> { Ok(()) }

fn main() {}
