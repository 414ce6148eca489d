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

#[bulkhead(name = "db")]
fn query() -> Option<u32> { None }

fn main() {}
