use retry_runtime::hedge;

#[derive(Debug)]
struct StoreError;

struct Cache {
    hits: u64,
}

impl Cache {
    #[hedge(after = "50ms")]
    async fn get(&mut self, key: &str) -> Result<String, StoreError> {
        self.hits += 1;
        Ok(key.to_owned())
    }
}

#[hedge(after = "50ms")]
async fn fill(buffer: &mut Vec<u8>) -> Result<(), StoreError> {
    buffer.push(1);
    Ok(())
}

fn main() {}
