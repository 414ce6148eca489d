use retry_runtime::bulkhead;

#[derive(Debug)]
struct DbError;

#[bulkhead(name = "db", max_concurrent = 10, max_wait = "50ms")]
async fn query(sql: &str) -> Result<usize, DbError> {
    Ok(sql.len())
}

fn main() {}
