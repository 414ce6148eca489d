use retry_runtime::retry;

#[retry]
fn send(payload: String) -> Result<(), String> {
    drop(payload);
    Ok(())
}

fn main() {}
