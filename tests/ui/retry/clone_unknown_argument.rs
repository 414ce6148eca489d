use retry_runtime::retry;

#[retry(clone = [paylod])]
fn send(payload: String) -> Result<(), String> {
    drop(payload);
    Ok(())
}

fn main() {}
