use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

fn consume(_: String) {}

#[hedge(after = "10ms")]
async fn send(payload: String) -> Result<(), StoreError> {
    consume(payload);
    Ok(())
}

fn main() {}
