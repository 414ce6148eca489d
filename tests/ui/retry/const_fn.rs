use retry_runtime::retry;

#[retry]
const fn fetch() -> Result<(), ()> { Ok(()) }

fn main() {}
