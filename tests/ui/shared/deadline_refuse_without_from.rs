use retry_runtime::circuit_breaker;

#[derive(Debug)]
struct DbError;

impl From<retry_runtime::CircuitOpen> for DbError {
    fn from(_: retry_runtime::CircuitOpen) -> Self { DbError }
}

#[circuit_breaker(name = "db", deadline = "refuse")]
fn query() -> Result<(), DbError> { Ok(()) }

fn main() {}
