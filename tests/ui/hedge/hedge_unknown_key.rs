use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

#[hedge(after = "10ms", max_hedge = 2)]
async fn fetch() -> Result<(), StoreError> {
    Ok(())
}

fn main() {}
