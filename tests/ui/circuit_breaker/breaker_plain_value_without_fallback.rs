use retry_runtime::circuit_breaker;

fn is_empty(text: &String) -> bool {
    text.is_empty()
}

#[circuit_breaker(name = "names", on_result = is_empty)]
fn name() -> String {
    String::new()
}

fn main() {}
