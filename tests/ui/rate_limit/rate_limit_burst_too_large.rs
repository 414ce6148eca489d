use retry_runtime::{RateLimited, rate_limit};

#[derive(Debug)]
enum ApiError {
    Limited(RateLimited),
}

impl From<RateLimited> for ApiError {
    fn from(limited: RateLimited) -> Self {
        ApiError::Limited(limited)
    }
}

#[rate_limit(name = "api", per_second = 100, burst = 5_000_000_000)]
fn fetch() -> Result<(), ApiError> { Ok(()) }

fn main() {}
