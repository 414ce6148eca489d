use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

#[hedge(after = "p100")]
async fn quantile_too_high() -> Result<(), StoreError> {
    Ok(())
}

#[hedge(after = "50")]
async fn no_unit() -> Result<(), StoreError> {
    Ok(())
}

#[hedge(after = "2h")]
async fn above_an_hour() -> Result<(), StoreError> {
    Ok(())
}

#[hedge(after = 50)]
async fn not_a_string() -> Result<(), StoreError> {
    Ok(())
}

fn main() {}
