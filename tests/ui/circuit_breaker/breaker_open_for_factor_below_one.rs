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

#[circuit_breaker(name = "db", open_for_factor = 0.5)]
fn query() -> Result<(), DbError> { Ok(()) }

fn main() {}
