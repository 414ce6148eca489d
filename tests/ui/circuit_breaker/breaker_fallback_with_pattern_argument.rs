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

fn cached((a, b): (u32, u32)) -> Result<u32, DbError> { Ok(a + b) }

#[circuit_breaker(name = "db", fallback = cached)]
fn sum((a, b): (u32, u32)) -> Result<u32, DbError> { Ok(a + b) }

fn main() {}
