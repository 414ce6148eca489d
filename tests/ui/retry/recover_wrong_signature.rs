use retry_runtime::{Failure, retry};

fn give_up(cause: Failure<String>) -> Result<u32, String> {
    Err(format!("{cause}"))
}

#[retry(recover = give_up)]
fn fetch(key: &str) -> Result<u32, String> {
    Err(key.to_owned())
}

fn main() {}
