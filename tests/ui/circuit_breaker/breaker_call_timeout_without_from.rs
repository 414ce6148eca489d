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

#[circuit_breaker(name = "db", call_timeout = "2s")]
async fn query() -> Result<(), DbError> {
    Ok(())
}

fn main() {}
