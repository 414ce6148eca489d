use retry_runtime::retry;

#[derive(Debug, PartialEq)]
enum StoreError {
    Timeout,
    Io(u8),
    NotFound { key: String },
}

struct Store {
    calls: u32,
}

impl Store {
    #[retry(max_attempts = 3, backoff = "exponential", jitter = "full", on = [Timeout, Io])]
    fn fetch(&mut self, key: &str) -> Result<String, StoreError> {
        self.calls += 1;
        if self.calls < 3 {
            return Err(StoreError::Io(1));
        }
        if key.is_empty() {
            Err(StoreError::NotFound {
                key: key.to_owned(),
            })?;
        }
        Ok(format!("{key}:{}", self.calls))
    }

    #[retry(max_attempts = 3, on = [Timeout])]
    async fn fetch_async(&mut self, key: &str) -> Result<String, StoreError> {
        self.calls += 1;
        if self.calls < 3 {
            return Err(StoreError::Timeout);
        }
        Ok(format!("{key}:{}", self.calls))
    }
}

#[test]
fn sync_smoke() {
    let _paused = retry_runtime::testing::pause_sync_time();
    let mut store = Store { calls: 0 };
    assert_eq!(store.fetch("a").unwrap(), "a:3");
}

#[tokio::test(start_paused = true)]
async fn async_smoke() {
    let mut store = Store { calls: 0 };
    assert_eq!(store.fetch_async("a").await.unwrap(), "a:3");
}
