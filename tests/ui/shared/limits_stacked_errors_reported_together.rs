use retry_runtime::{BulkheadFull, CircuitOpen, RateLimited, bulkhead, circuit_breaker, rate_limit, retry};

#[derive(Debug)]
enum Error {
    Rejected,
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Rejected
    }
}

impl From<BulkheadFull> for Error {
    fn from(_: BulkheadFull) -> Self {
        Error::Rejected
    }
}

impl From<RateLimited> for Error {
    fn from(_: RateLimited) -> Self {
        Error::Rejected
    }
}

#[retry(max_attempts = 0)]
#[circuit_breaker(name = "db")]
#[rate_limit(name = "db", per_second = 0)]
#[bulkhead(name = "db", max_concurrent = 10, max_wait = "2h")]
fn query() -> Result<(), Error> { Ok(()) }

fn main() {}
