use retry_runtime::chaos;

#[derive(Debug)]
struct StoreError;

#[chaos(name = "store")]
async fn fetch(key: &str) -> Result<usize, StoreError> {
    Ok(key.len())
}

fn main() {}
