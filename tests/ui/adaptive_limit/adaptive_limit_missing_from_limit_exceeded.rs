use retry_runtime::adaptive_limit;

#[derive(Debug)]
struct DbError;

#[adaptive_limit(name = "db", max_wait = "50ms")]
async fn query(sql: &str) -> Result<usize, DbError> {
    Ok(sql.len())
}

fn main() {}
