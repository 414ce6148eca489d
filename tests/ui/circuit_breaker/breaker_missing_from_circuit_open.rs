use retry_runtime::circuit_breaker;

#[derive(Debug)]
struct DbError;

#[circuit_breaker(name = "db")]
fn query() -> Result<(), DbError> { Err(DbError) }

fn main() {}
