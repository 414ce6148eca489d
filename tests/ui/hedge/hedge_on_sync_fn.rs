use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

#[hedge(after = "50ms")]
fn fetch(key: &str) -> Result<String, StoreError> {
    Ok(key.to_owned())
}

fn main() {
    let _ = fetch("a");
}
