use retry_runtime::retry;

#[derive(Debug)]
pub enum ApiError {
    Transport(String),
    Status(u16),
}

pub struct Response {
    pub status: u16,
}

fn unavailable(response: &Response) -> bool {
    response.status == 503
}

type Answer = Result<Response, ApiError>;

#[retry(on_result = unavailable, on = [Transport(_)])]
fn fetch() -> Answer {
    Ok(Response { status: 200 })
}

fn main() {}
