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

#[adaptive_limit(name = "db", min_limit = 50)]
fn query() -> Result<u32, DbError> { Ok(1) }

fn main() {}
