use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

#[hedge(after = "50ms", floor = "10ms")]
async fn fixed_with_floor() -> Result<(), StoreError> {
    Ok(())
}

#[hedge(after = "p95", floor = "2h")]
async fn floor_above_an_hour() -> Result<(), StoreError> {
    Ok(())
}

fn main() {}
