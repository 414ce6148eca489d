use retry_runtime::chaos;

#[chaos(name = "store")]
fn fetch() -> Option<u32> {
    None
}

fn main() {}
