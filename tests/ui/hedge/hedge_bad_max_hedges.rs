use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

#[hedge(after = "10ms", max_hedges = 0)]
async fn none() -> Result<(), StoreError> {
    Ok(())
}

#[hedge(after = "10ms", max_hedges = 11)]
async fn too_many() -> Result<(), StoreError> {
    Ok(())
}

fn main() {}
