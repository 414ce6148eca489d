use retry_runtime::{InjectedFault, chaos};

#[derive(Debug)]
struct StoreError;

impl From<InjectedFault> for StoreError {
    fn from(_: InjectedFault) -> Self {
        StoreError
    }
}

#[chaos]
fn fetch() -> Result<u32, StoreError> {
    Ok(1)
}

fn main() {}
