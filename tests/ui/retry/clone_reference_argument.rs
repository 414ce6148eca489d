use retry_runtime::retry;

#[retry(clone = [payload])]
fn send(payload: &str) -> Result<(), String> {
    Err(payload.to_owned())
}

fn main() {}
