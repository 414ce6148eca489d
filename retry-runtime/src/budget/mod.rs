//! Retry budgets: a named token bucket shared by every `#[retry(budget = "name")]` site, so a
//! fleet whose dependency fails does not multiply its own load by `max_attempts`.
//!
//! Every call deposits `share` of a token; every retry withdraws a whole one, and is refused when
//! the bucket holds less. A trickle of `min_per_second` tokens keeps a quiet service able to
//! retry at all, and the balance is capped so that a long healthy period cannot bank an
//! unbounded burst. Over any stretch of `calls` calls lasting `t` seconds, retries are therefore
//! at most `share * calls + min_per_second * t + cap`.
//!
//! A new budget starts with its reserve, `min_per_second` x [`RESERVE_WINDOW`] (10 s, as
//! Finagle's), capped at `cap`: a fresh process, a CLI or a paused-time test can retry its first
//! failures. The trickle follows the clock exactly however often it is read: time that has not
//! yet earned a thousandth of a token is carried over, never dropped.
//!
//! The defaults follow Finagle's `RetryBudget` (20% of calls, 10 retries per second): with them,
//! a storm costs at most 1.2x the calls, plus the reserve (10 x 10 s = 100 retries) and the
//! trickle (10 retries per second), instead of `max_attempts` x. For comparison, gRPC's retry
//! throttling refunds 0.1 token per success against 1 per failure and stops retrying below half
//! of its 10 tokens; the AWS SDKs start from 500 tokens, spend 5 per retry (10 after a timeout)
//! and refund 1 per success.

mod registry;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;

use std::fmt;
use std::sync::OnceLock;
#[cfg(feature = "redis")]
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

#[cfg(feature = "config")]
pub(crate) use registry::OVERRIDE;
#[cfg(feature = "redis")]
pub(crate) use registry::STARTS_SHARED;
pub(crate) use registry::budgets_snapshot;
pub use registry::{budget, register_budget};

/// A budget's settings.
///
/// ```
/// use retry_runtime::BudgetConfig;
///
/// let strict = BudgetConfig { share: 0.1, min_per_second: 1.0, cap: 20.0 };
/// assert!(strict.validate().is_ok());
/// assert!(BudgetConfig { share: -1.0, ..strict }.validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetConfig {
    /// Tokens each call deposits: the share of calls that may be retried (0.2 = 20%).
    pub share: f64,
    /// Tokens added per second whatever the traffic, so that a quiet service can still retry.
    pub min_per_second: f64,
    /// The most tokens the bucket holds, which bounds the burst after a healthy period.
    pub cap: f64,
}

impl BudgetConfig {
    /// 20% of calls plus 10 retries per second, at most 100 banked: Finagle's defaults, with a
    /// cap of ten seconds' worth of the minimum rate.
    pub const DEFAULT: BudgetConfig = BudgetConfig {
        share: 0.2,
        min_per_second: 10.0,
        cap: 100.0,
    };

    /// Checks every field.
    ///
    /// # Errors
    /// A message naming the field and the value when one is negative, not finite, or the cap
    /// is below one retry.
    pub fn validate(&self) -> Result<(), String> {
        for (field, value) in [
            ("share", self.share),
            ("min_per_second", self.min_per_second),
            ("cap", self.cap),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!(
                    "invalid retry budget: `{field}` is {value}; it must be a finite number of at least 0"
                ));
            }
        }
        for (field, value) in [
            ("share", self.share),
            ("min_per_second", self.min_per_second),
            ("cap", self.cap),
        ] {
            if value > MAX_TOKENS {
                return Err(format!(
                    "invalid retry budget: `{field}` is {value}; it must be at most {MAX_TOKENS}"
                ));
            }
        }
        if self.share > 0.0 && self.share < MIN_SHARE {
            return Err(format!(
                "invalid retry budget: `share` is {}; a share is counted in thousandths of a retry, so it must be 0 or at least {MIN_SHARE}",
                self.share
            ));
        }
        if self.cap < 1.0 {
            return Err(format!(
                "invalid retry budget: `cap` is {}; below 1 the budget could never pay for a retry",
                self.cap
            ));
        }
        Ok(())
    }
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig::DEFAULT
    }
}

/// Balances are kept in thousandths of a token, so shares like 0.2 are exact.
const MILLI: f64 = 1000.0;

/// The smallest non-zero `share` a budget can deposit: one thousandth of a token per call.
pub const MIN_SHARE: f64 = 1.0 / MILLI;

/// The largest `share`, `min_per_second` and `cap`: the most tokens the balance (an `i64` of
/// thousandths) counts.
#[allow(clippy::cast_precision_loss)]
pub const MAX_TOKENS: f64 = (i64::MAX / 1000) as f64;

/// The stretch of `min_per_second` a new budget starts with.
pub const RESERVE_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);

/// A named retry budget, shared by every site naming it. Find one with [`budget`].
pub struct RetryBudget {
    name: &'static str,
    config: BudgetConfig,
    milli_tokens: AtomicI64,
    /// Nanoseconds since `origin` when `min_per_second` was last credited.
    refilled_at: AtomicU64,
    /// The first time a retry asked, on the clock of the site that asked (tokio's for async
    /// sites, so paused test time applies): the trickle counts from there, the reserve covers
    /// the time before.
    origin: OnceLock<Instant>,
    deposits: AtomicU64,
    withdrawals: AtomicU64,
    refusals: AtomicU64,
    /// Shared through a fleet link (feature `redis`): calls and the trickle are credited in
    /// Redis, and `milli_tokens` holds only the tokens leased to this process.
    #[cfg(feature = "redis")]
    fleet: AtomicBool,
}

/// What a budget did since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BudgetCounts {
    /// Calls that deposited their share.
    pub calls: u64,
    /// Retries it paid for.
    pub retries: u64,
    /// Retries it refused: the error was returned at once.
    pub refused: u64,
    /// Tokens in the bucket now.
    pub balance: f64,
}

impl RetryBudget {
    fn new(name: &'static str, config: BudgetConfig) -> RetryBudget {
        // Created while a fleet link is up and shares it: its tokens are the fleet's from the
        // start (leased at the link's next flush), never a reserve of its own.
        #[cfg(feature = "redis")]
        let shared = STARTS_SHARED
            .get()
            .is_some_and(|starts_shared| starts_shared(name));
        #[cfg(not(feature = "redis"))]
        let shared = false;
        let reserve = if shared {
            0.0
        } else {
            (config.min_per_second * RESERVE_WINDOW.as_secs_f64()).min(config.cap)
        };
        RetryBudget {
            name,
            config,
            milli_tokens: AtomicI64::new(to_milli(reserve)),
            refilled_at: AtomicU64::new(0),
            origin: OnceLock::new(),
            deposits: AtomicU64::new(0),
            withdrawals: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
            #[cfg(feature = "redis")]
            fleet: AtomicBool::new(shared),
        }
    }

    /// The budget's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its settings.
    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// What it did so far.
    pub fn counts(&self) -> BudgetCounts {
        #[allow(clippy::cast_precision_loss)]
        BudgetCounts {
            calls: self.deposits.load(Ordering::Relaxed),
            retries: self.withdrawals.load(Ordering::Relaxed),
            refused: self.refusals.load(Ordering::Relaxed),
            balance: self.milli_tokens.load(Ordering::Relaxed) as f64 / MILLI,
        }
    }

    fn cap_milli(&self) -> i64 {
        to_milli(self.config.cap)
    }

    /// Back to a new budget's state: the reserve, and counts from zero. A budget shared
    /// through a fleet keeps its reserve in Redis, so it empties its leased tokens instead.
    pub fn reset(&self) {
        let reserve = if self.in_fleet() {
            0.0
        } else {
            (self.config.min_per_second * RESERVE_WINDOW.as_secs_f64()).min(self.config.cap)
        };
        self.milli_tokens
            .store(to_milli(reserve), Ordering::Relaxed);
        self.deposits.store(0, Ordering::Relaxed);
        self.withdrawals.store(0, Ordering::Relaxed);
        self.refusals.store(0, Ordering::Relaxed);
    }

    /// A call starts: deposit its share.
    pub(crate) fn deposit(&self) {
        self.deposits.fetch_add(1, Ordering::Relaxed);
        if self.in_fleet() {
            // The fleet link reads `deposits` and credits the share in Redis.
            return;
        }
        self.add(to_milli(self.config.share));
    }

    /// A retry wants to run: true if the budget pays for it.
    pub(crate) fn try_withdraw(&self, now: Instant) -> bool {
        if !self.in_fleet() {
            // In a fleet, Redis credits the trickle.
            self.refill(now);
        }
        let paid = self
            .milli_tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |balance| {
                (balance >= 1000).then_some(balance - 1000)
            })
            .is_ok();
        if paid {
            self.withdrawals.fetch_add(1, Ordering::Relaxed);
        } else {
            self.refusals.fetch_add(1, Ordering::Relaxed);
        }
        paid
    }

    /// Whether a fleet link shares this budget now (one relaxed load; always false without the
    /// `redis` feature).
    #[inline]
    #[cfg_attr(not(feature = "redis"), allow(clippy::unused_self))]
    fn in_fleet(&self) -> bool {
        #[cfg(feature = "redis")]
        return self.fleet.load(Ordering::Relaxed);
        #[cfg(not(feature = "redis"))]
        false
    }

    /// The fleet link shares this budget from now on: the tokens held so far are dropped (the
    /// reserve is the fleet's, in Redis), and retries spend what the link leases.
    #[cfg(feature = "redis")]
    pub(crate) fn join_fleet(&self) {
        self.fleet.store(true, Ordering::Release);
        self.milli_tokens.store(0, Ordering::Release);
    }

    /// The fleet link is down or gone: the budget is this process's own again, keeping the
    /// tokens it holds, with its trickle counting from `now` (not from when it joined).
    #[cfg(feature = "redis")]
    pub(crate) fn leave_fleet(&self, now: Instant) {
        if let Some(origin) = self.origin.get() {
            let since = u64::try_from(now.saturating_duration_since(*origin).as_nanos())
                .unwrap_or(u64::MAX);
            self.refilled_at.fetch_max(since, Ordering::AcqRel);
        }
        self.fleet.store(false, Ordering::Release);
    }

    /// Whether a fleet link shares this budget now.
    #[cfg(feature = "redis")]
    pub(crate) fn is_shared(&self) -> bool {
        self.fleet.load(Ordering::Acquire)
    }

    /// Calls counted since the budget was created or reset: the link sends the difference.
    #[cfg(feature = "redis")]
    pub(crate) fn calls_so_far(&self) -> u64 {
        self.deposits.load(Ordering::Relaxed)
    }

    /// The balance in thousandths of a token: what the link leased and retries left over.
    #[cfg(feature = "redis")]
    pub(crate) fn balance_milli(&self) -> i64 {
        self.milli_tokens.load(Ordering::Acquire)
    }

    /// Tokens leased from the fleet, in thousandths.
    #[cfg(feature = "redis")]
    pub(crate) fn credit_lease(&self, milli: i64) {
        self.add(milli);
    }

    fn add(&self, milli: i64) {
        let cap = self.cap_milli();
        let _ = self
            .milli_tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |balance| {
                Some(balance.saturating_add(milli).min(cap))
            });
    }

    /// Credits `min_per_second` for the time since the last credit, in whole thousandths of a
    /// token; the time the credit paid for moves the mark, and the remainder waits for the next
    /// read. One racer wins each stretch.
    fn refill(&self, now: Instant) {
        if self.config.min_per_second <= 0.0 {
            return;
        }
        let origin = *self.origin.get_or_init(|| now);
        let now_nanos =
            u64::try_from(now.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX);
        let last = self.refilled_at.load(Ordering::Acquire);
        if now_nanos <= last {
            return;
        }
        let milli_per_second = self.config.min_per_second * MILLI;
        #[allow(clippy::cast_precision_loss)]
        let earned = ((now_nanos - last) as f64 / 1e9 * milli_per_second).floor();
        if earned < 1.0 {
            return;
        }
        // The nanoseconds that `earned` thousandths took, rounded up so the mark never runs
        // ahead of what was paid (and never past now).
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let paid = ((earned * 1e9 / milli_per_second).ceil() as u64).min(now_nanos - last);
        if self
            .refilled_at
            .compare_exchange(last, last + paid, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        #[allow(clippy::cast_possible_truncation)]
        self.add(earned as i64);
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

pub(crate) fn to_milli(tokens: f64) -> i64 {
    // Validated finite and non-negative; the cast saturates beyond i64.
    #[allow(clippy::cast_possible_truncation)]
    let milli = (tokens * MILLI).round() as i64;
    milli
}
