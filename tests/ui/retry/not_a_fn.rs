use retry_runtime::retry;

#[retry]
struct Client;

fn main() {}
