use retry_runtime::rate_limit;

mod api {
    #[derive(Debug)]
    pub struct Error;
}

struct Client;

impl Client {
    #[rate_limit(name = "api", per_second = 100, burst = 20)]
    fn fetch(&self, path: &str) -> Result<Vec<u8>, api::Error> {
        Ok(path.as_bytes().to_vec())
    }
}

fn main() {}
