//! Which errors are retried (`on`, `when`, hints) and which are returned at once; `?` and
//! `return` in the body end the attempt, not the fn.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{ProvidesRetryHint, RetryHint, retry};

#[derive(Debug, Clone, PartialEq, Eq)]
enum StoreError {
    Timeout,
    Io(u8),
    Http { status: u16 },
    NotFound,
}

impl StoreError {
    fn is_transient(&self) -> bool {
        matches!(self, StoreError::Http { status } if *status == 429)
    }
}

/// Returns the scripted errors in order, then `Ok(attempts)`.
struct Script {
    errors: RefCell<Vec<StoreError>>,
    attempts: Cell<u32>,
}

impl Script {
    fn new(errors: &[StoreError]) -> Self {
        let mut errors = errors.to_vec();
        errors.reverse();
        Script {
            errors: RefCell::new(errors),
            attempts: Cell::new(0),
        }
    }

    fn next(&self) -> Result<u32, StoreError> {
        self.attempts.set(self.attempts.get() + 1);
        match self.errors.borrow_mut().pop() {
            Some(error) => Err(error),
            None => Ok(self.attempts.get()),
        }
    }

    // The card's own line, verbatim.
    #[retry(max_attempts = 3, backoff = "exponential", jitter = "full", on = [Timeout, Io])]
    fn unit_and_tuple_variants(&self) -> Result<u32, StoreError> {
        self.next()
    }

    #[retry(max_attempts = 5, delay = "1ms", on = [Http])]
    fn struct_variant_by_name(&self) -> Result<u32, StoreError> {
        self.next()
    }

    #[retry(max_attempts = 5, delay = "1ms", on = [StoreError::Timeout, StoreError::Http { status: 500..=599 }])]
    fn paths_and_full_patterns(&self) -> Result<u32, StoreError> {
        self.next()
    }

    #[retry(max_attempts = 5, delay = "1ms", when = StoreError::is_transient)]
    fn predicate(&self) -> Result<u32, StoreError> {
        self.next()
    }

    #[retry(max_attempts = 5, delay = "1ms", on = [Timeout], when = StoreError::is_transient)]
    fn pattern_or_predicate(&self) -> Result<u32, StoreError> {
        self.next()
    }

    #[retry(max_attempts = 5, delay = "1ms", on = [Timeout | Io(7)])]
    fn or_pattern(&self) -> Result<u32, StoreError> {
        self.next()
    }

    #[retry(max_attempts = 5, delay = "1ms", on = [Timeout, Io])]
    async fn async_selected(&self) -> Result<u32, StoreError> {
        tokio::task::yield_now().await;
        self.next()
    }
}

#[test]
fn on_selects_unit_tuple_and_struct_variants_by_name() {
    use StoreError::{Http, Io, NotFound, Timeout};
    let _paused = pause_sync_time();

    let script = Script::new(&[Timeout, Io(3)]);
    assert_eq!(script.unit_and_tuple_variants(), Ok(3));

    let script = Script::new(&[NotFound, Timeout]);
    assert_eq!(script.unit_and_tuple_variants(), Err(NotFound));
    assert_eq!(
        script.attempts.get(),
        1,
        "a non-selected error is returned at once"
    );

    let script = Script::new(&[Http { status: 503 }, Http { status: 400 }]);
    assert_eq!(script.struct_variant_by_name(), Ok(3));
}

#[test]
fn on_accepts_paths_and_full_patterns() {
    use StoreError::{Http, Timeout};
    let _paused = pause_sync_time();

    let script = Script::new(&[Timeout, Http { status: 502 }]);
    assert_eq!(script.paths_and_full_patterns(), Ok(3));

    let script = Script::new(&[Http { status: 502 }, Http { status: 404 }]);
    assert_eq!(script.paths_and_full_patterns(), Err(Http { status: 404 }));
    assert_eq!(script.attempts.get(), 2);

    let script = Script::new(&[Timeout, StoreError::Io(7), StoreError::Io(8)]);
    assert_eq!(script.or_pattern(), Err(StoreError::Io(8)));
    assert_eq!(script.attempts.get(), 3);
}

#[test]
fn when_alone_and_either_of_on_and_when() {
    use StoreError::{Http, Timeout};
    let _paused = pause_sync_time();

    let script = Script::new(&[Http { status: 429 }, Timeout]);
    assert_eq!(script.predicate(), Err(Timeout));
    assert_eq!(script.attempts.get(), 2);

    let script = Script::new(&[Http { status: 429 }, Timeout, Http { status: 429 }]);
    assert_eq!(script.pattern_or_predicate(), Ok(4));
}

#[tokio::test(start_paused = true)]
async fn async_on_selects_errors_the_same_way() {
    use StoreError::{Io, NotFound, Timeout};
    let script = Script::new(&[Timeout, Io(1)]);
    assert_eq!(script.async_selected().await, Ok(3));
    let script = Script::new(&[NotFound]);
    assert_eq!(script.async_selected().await, Err(NotFound));
    assert_eq!(script.attempts.get(), 1);
}

#[test]
fn without_on_or_when_every_error_is_retried_and_the_last_is_returned() {
    #[retry(delay = "1ms")]
    fn every_error(script: &Script) -> Result<u32, StoreError> {
        script.next()
    }
    let _paused = pause_sync_time();
    let script = Script::new(&[StoreError::NotFound, StoreError::Timeout, StoreError::Io(9)]);
    assert_eq!(
        every_error(&script),
        Err(StoreError::Io(9)),
        "last error, unchanged"
    );
}

#[derive(Debug, PartialEq)]
enum ApiError {
    RateLimited { retry_after: Duration },
    BadRequest,
    Unavailable,
}

impl ProvidesRetryHint for ApiError {
    fn retry_hint(&self) -> RetryHint {
        match self {
            ApiError::RateLimited { retry_after } => RetryHint::RetryAfter(*retry_after),
            ApiError::BadRequest => RetryHint::Permanent,
            ApiError::Unavailable => RetryHint::FollowPolicy,
        }
    }
}

#[retry(max_attempts = 4, delay = "10ms", jitter = "none")]
fn hinted(errors: &RefCell<Vec<ApiError>>) -> Result<(), ApiError> {
    errors.borrow_mut().pop().map_or(Ok(()), Err)
}

#[retry(max_attempts = 4, delay = "10ms", jitter = "none")]
async fn hinted_async(errors: &RefCell<Vec<ApiError>>) -> Result<(), ApiError> {
    errors.borrow_mut().pop().map_or(Ok(()), Err)
}

#[test]
fn retry_after_hint_overrides_the_delay_and_permanent_stops() {
    let paused = pause_sync_time();
    let errors = RefCell::new(vec![
        ApiError::Unavailable,
        ApiError::RateLimited {
            retry_after: Duration::from_secs(7),
        },
    ]);
    assert_eq!(hinted(&errors), Ok(()));
    // 7 s from the hint (to 7.7 s: at most 10% more), then 20 ms from the policy.
    let waited = paused.elapsed();
    assert!(
        waited >= Duration::from_millis(7020) && waited <= Duration::from_millis(7720),
        "{waited:?}"
    );

    let errors = RefCell::new(vec![ApiError::Unavailable, ApiError::BadRequest]);
    assert_eq!(hinted(&errors), Err(ApiError::BadRequest));
    assert_eq!(errors.borrow().len(), 1, "permanent: no second attempt");
}

#[tokio::test(start_paused = true)]
async fn async_hints_follow_virtual_time() {
    let start = tokio::time::Instant::now();
    let errors = RefCell::new(vec![ApiError::RateLimited {
        retry_after: Duration::from_secs(3),
    }]);
    assert_eq!(hinted_async(&errors).await, Ok(()));
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3300),
        "{waited:?}"
    );
}

#[derive(Debug, PartialEq)]
enum ParseError {
    Empty,
    Bad(std::num::ParseIntError),
}

impl From<std::num::ParseIntError> for ParseError {
    fn from(error: std::num::ParseIntError) -> Self {
        ParseError::Bad(error)
    }
}

/// `?` and `return` end the attempt (and are retried), not the fn.
#[retry(max_attempts = 3, delay = "1ms")]
fn question_mark_and_return(inputs: &RefCell<Vec<&'static str>>) -> Result<i32, ParseError> {
    let input = inputs.borrow_mut().pop().unwrap_or("");
    if input.is_empty() {
        return Err(ParseError::Empty);
    }
    let number: i32 = input.parse()?;
    Ok(number)
}

#[retry(max_attempts = 3, delay = "1ms")]
async fn question_mark_and_return_async(
    inputs: &RefCell<Vec<&'static str>>,
) -> Result<i32, ParseError> {
    let input = inputs.borrow_mut().pop().unwrap_or("");
    tokio::task::yield_now().await;
    if input.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(input.parse::<i32>()?)
}

#[test]
fn question_mark_and_early_return_end_the_attempt() {
    let _paused = pause_sync_time();
    let inputs = RefCell::new(vec!["42", "x", ""]);
    assert_eq!(question_mark_and_return(&inputs), Ok(42));
    let inputs = RefCell::new(vec!["", "y", ""]);
    assert_eq!(question_mark_and_return(&inputs), Err(ParseError::Empty));
}

#[tokio::test(start_paused = true)]
async fn async_question_mark_and_early_return_end_the_attempt() {
    let inputs = RefCell::new(vec!["7", "", "nope"]);
    assert_eq!(question_mark_and_return_async(&inputs).await, Ok(7));
}

/// `io::Result<T>` hides `E`; paths and `when` still work.
#[retry(max_attempts = 2, delay = "1ms", when = |error: &std::io::Error| error.kind() == std::io::ErrorKind::Interrupted)]
fn io_alias(calls: &Cell<u32>) -> std::io::Result<u32> {
    calls.set(calls.get() + 1);
    if calls.get() == 1 {
        Err(std::io::Error::from(std::io::ErrorKind::Interrupted))
    } else {
        Ok(calls.get())
    }
}

#[test]
fn result_aliases_work_with_patterns_and_closures() {
    let _paused = pause_sync_time();
    let calls = Cell::new(0);
    assert_eq!(io_alias(&calls).unwrap(), 2);
}

/// `clone = [payload]`: a body that moves a by-value argument gets a fresh clone per attempt.
#[retry(max_attempts = 3, delay = "1ms", clone = [payload])]
fn send(payload: Vec<u8>, sent: &RefCell<Vec<Vec<u8>>>) -> Result<usize, StoreError> {
    let mut outbox = sent.borrow_mut();
    outbox.push(payload); // moves the attempt's clone
    if outbox.len() < 3 {
        Err(StoreError::Timeout)
    } else {
        Ok(outbox.len())
    }
}

#[retry(max_attempts = 3, delay = "1ms", clone = [payload, label])]
async fn send_async(
    payload: String,
    label: String,
    sent: &RefCell<Vec<String>>,
) -> Result<usize, StoreError> {
    tokio::task::yield_now().await;
    let mut outbox = sent.borrow_mut();
    outbox.push(payload + &label);
    if outbox.len() < 2 {
        Err(StoreError::Timeout)
    } else {
        Ok(outbox.len())
    }
}

#[test]
fn clone_gives_each_attempt_its_own_copy_of_a_moved_argument() {
    let _paused = pause_sync_time();
    let sent = RefCell::new(Vec::new());
    assert_eq!(send(vec![1, 2], &sent), Ok(3));
    assert_eq!(*sent.borrow(), vec![vec![1, 2]; 3]);
}

#[tokio::test(start_paused = true)]
async fn async_clone_gives_each_attempt_its_own_copy() {
    let sent = RefCell::new(Vec::new());
    assert_eq!(
        send_async("a".to_owned(), "b".to_owned(), &sent).await,
        Ok(2)
    );
    assert_eq!(*sent.borrow(), ["ab", "ab"]);
}
