::core::compile_error! {
    "`max_attempts = 0` would never run the fn: it counts the first attempt; use `max_attempts = 1` to never retry"
}
fn fetch() -> Result<(), StoreError> {
    Ok(())
}
