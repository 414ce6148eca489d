use retry_runtime::{BulkheadFull, bulkhead};

#[derive(Debug)]
enum DbError {
    Busy(BulkheadFull),
}

impl From<BulkheadFull> for DbError {
    fn from(full: BulkheadFull) -> Self {
        DbError::Busy(full)
    }
}

#[bulkhead(max_concurrent = 0, max_wait = "5 sec", timeout = "1s")]
fn query() -> Result<(), DbError> { Ok(()) }

fn main() {}
