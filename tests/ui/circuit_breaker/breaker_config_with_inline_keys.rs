use retry_runtime::{BreakerConfig, CircuitOpen, circuit_breaker};

#[derive(Debug)]
enum DbError {
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

const SHARED: BreakerConfig = BreakerConfig::DEFAULT;

#[circuit_breaker(name = "db", config = SHARED, failure_threshold = 3)]
fn query() -> Result<(), DbError> {
    Ok(())
}

fn main() {}
