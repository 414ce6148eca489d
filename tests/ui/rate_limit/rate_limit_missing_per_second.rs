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

#[rate_limit(name = "api", burst = 20)]
fn fetch() -> Result<(), ApiError> { Ok(()) }

fn main() {}
