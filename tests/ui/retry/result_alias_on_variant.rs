use retry_runtime::retry;

#[derive(Debug)]
pub enum ApiError {
    Transport(String),
    Status(u16),
}

type Answer = Result<u16, ApiError>;

#[retry(on = [Transport(_)])]
fn fetch() -> Answer {
    Ok(200)
}

fn main() {}
