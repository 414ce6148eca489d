use retry_runtime::{InjectedFault, chaos};

#[derive(Debug)]
struct StoreError;

impl From<InjectedFault> for StoreError {
    fn from(_: InjectedFault) -> Self {
        StoreError
    }
}

// What a site injects is configured by name, at run time or from the config loader.
#[chaos(name = "store", fault_rate = 0.5)]
fn fetch() -> Result<u32, StoreError> {
    Ok(1)
}

fn main() {}
