use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

#[hedge(max_hedges = 2)]
async fn fetch() -> Result<(), StoreError> {
    Ok(())
}

fn main() {}
