use retry_runtime::retry;

#[retry]
async fn fetch() -> Option<u32> { None }

fn main() {}
