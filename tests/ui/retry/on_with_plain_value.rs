use retry_runtime::retry;

#[retry(on = [Timeout], on_result = Option::is_none)]
fn find(key: &str) -> Option<u32> {
    key.parse().ok()
}

fn main() {}
