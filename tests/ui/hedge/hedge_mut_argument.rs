use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

#[hedge(after = "10ms")]
async fn countdown(mut remaining: u32) -> Result<u32, StoreError> {
    remaining -= 1;
    Ok(remaining)
}

fn main() {}
