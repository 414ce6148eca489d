use retry_runtime::{CircuitOpen, circuit_breaker};

#[derive(Debug)]
enum DbError {
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

#[circuit_breaker(name = "db", failure_rate = 0.5, window = "ten seconds")]
fn query() -> Result<(), DbError> {
    Ok(())
}

fn main() {}
