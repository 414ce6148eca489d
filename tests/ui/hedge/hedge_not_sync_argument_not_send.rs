use std::cell::Cell;

use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

// Attempts share the arguments, so the call's future is `Send` only when they are `Sync`:
// `Cell` is `Send` but not `Sync`.
#[hedge(after = "10ms")]
async fn count(calls: Cell<u32>) -> Result<u32, StoreError> {
    tokio::task::yield_now().await;
    Ok(calls.get())
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    assert_send(count(Cell::new(0)));
}
