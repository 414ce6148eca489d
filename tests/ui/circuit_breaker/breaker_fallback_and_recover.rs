use retry_runtime::{CircuitOpen, Failure, circuit_breaker};

#[derive(Debug)]
enum DbError {
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

fn cached() -> Result<u32, DbError> {
    Ok(0)
}

fn recovered(_cause: Failure<DbError>) -> Result<u32, DbError> {
    Ok(0)
}

#[circuit_breaker(name = "db", fallback = cached, recover = recovered)]
fn query() -> Result<u32, DbError> {
    Ok(1)
}

fn main() {}
