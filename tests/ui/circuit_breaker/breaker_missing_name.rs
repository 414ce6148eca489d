use retry_runtime::{CircuitOpen, circuit_breaker};

#[derive(Debug)]
enum DbError {
    Unavailable,
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

#[circuit_breaker(failure_threshold = 3)]
fn query() -> Result<(), DbError> { Err(DbError::Unavailable) }

fn main() {}
