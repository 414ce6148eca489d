use retry_runtime::hedge;

#[hedge(after = "10ms")]
async fn fetch() -> Option<u32> {
    Some(1)
}

fn main() {}
