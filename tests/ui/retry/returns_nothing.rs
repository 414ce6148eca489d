use retry_runtime::retry;

#[retry]
fn fetch() {}

fn main() {}
