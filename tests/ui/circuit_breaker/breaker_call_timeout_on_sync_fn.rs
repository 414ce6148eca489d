use retry_runtime::{CallTimeout, CircuitOpen, circuit_breaker};

#[derive(Debug)]
enum DbError {
    Rejected(CircuitOpen),
    TooSlow(CallTimeout),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

impl From<CallTimeout> for DbError {
    fn from(timeout: CallTimeout) -> Self {
        DbError::TooSlow(timeout)
    }
}

#[circuit_breaker(name = "db", call_timeout = "2s")]
fn query() -> Result<(), DbError> {
    Ok(())
}

fn main() {}
