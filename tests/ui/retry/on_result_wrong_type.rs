use retry_runtime::retry;

fn too_big(value: &u64) -> bool {
    *value > 10
}

#[retry(on_result = too_big)]
fn count() -> Result<u32, String> {
    Ok(1)
}

fn main() {}
