use retry_runtime::retry;

struct Client;

impl Client {
    #[retry]
    fn fetch(self) -> Result<(), String> { Ok(()) }
}

fn main() {}
