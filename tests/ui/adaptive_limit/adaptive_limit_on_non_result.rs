use retry_runtime::{LimitExceeded, adaptive_limit};

#[derive(Debug)]
enum DbError {
    Busy(LimitExceeded),
}

impl From<LimitExceeded> for DbError {
    fn from(exceeded: LimitExceeded) -> Self {
        DbError::Busy(exceeded)
    }
}

#[adaptive_limit(name = "db")]
fn query() -> Option<u32> { None }

fn main() {}
