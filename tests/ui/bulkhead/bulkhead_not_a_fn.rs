use retry_runtime::bulkhead;

#[bulkhead(name = "db")]
struct Pool;

fn main() {}
