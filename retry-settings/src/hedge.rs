//! A hedge's settings: when a further attempt starts beside a slow one, and how many may.
//! `#[hedge]` checks its literals with these at compile time and builds its config in a
//! `const`; the run-time API checks them the same way.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::duration;

/// The most extra attempts a call may start (gRPC A6 caps `maxAttempts` at 5 by default; 10
/// leaves room without letting one call become a flood).
pub const MAX_HEDGES: u32 = 10;

/// The longest `after` (and `floor`): an hour.
pub const MAX_HEDGE_AFTER: Duration = Duration::from_secs(3600);

/// The `floor` of a quantile `after` when none is given: the delay before the site has seen
/// enough calls to know its latencies, and the least it ever waits.
pub const DEFAULT_HEDGE_FLOOR: Duration = Duration::from_millis(10);

/// How long a call waits before it starts the next attempt beside the ones running.
///
/// ```
/// use std::time::Duration;
/// # use retry_settings as retry_runtime;
/// use retry_runtime::HedgeDelay;
///
/// assert_eq!(HedgeDelay::parse("50ms")?, HedgeDelay::Fixed(Duration::from_millis(50)));
/// assert_eq!(
///     HedgeDelay::parse("p99.9")?,
///     HedgeDelay::Quantile { per_mille: 999, floor: Duration::from_millis(10) },
/// );
/// assert!(HedgeDelay::parse("p100").is_err());
/// # Ok::<(), retry_runtime::HedgeConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HedgeDelay {
    /// Always this long (`after = "50ms"`).
    Fixed(Duration),
    /// A quantile of the site's recent attempt latencies (`after = "p95"`), never below `floor`;
    /// `floor` alone until the site has seen enough attempts.
    Quantile {
        /// The quantile in thousandths: 950 for `p95`, 999 for `p99.9`; from 500 to 999.
        per_mille: u16,
        /// The least it waits, and the delay while too few latencies are known.
        floor: Duration,
    },
}

impl HedgeDelay {
    /// Reads `after`: a duration (`"50ms"`) or a quantile from `"p50"` to `"p99.9"`, with
    /// [`DEFAULT_HEDGE_FLOOR`] as its floor.
    ///
    /// # Errors
    /// [`HedgeConfigError`] for a malformed duration or quantile, or a delay above an hour.
    pub fn parse(text: &str) -> Result<HedgeDelay, HedgeConfigError> {
        let text = text.trim();
        if let Some(quantile) = text.strip_prefix('p') {
            let per_mille = parse_per_mille(quantile).ok_or_else(|| HedgeConfigError {
                key: "after",
                reason: format!(
                    "`{text}` is not a quantile from p50 to p99.9; write `after = \"p95\"` or a duration such as `after = \"50ms\"`"
                ),
            })?;
            return Ok(HedgeDelay::Quantile {
                per_mille,
                floor: DEFAULT_HEDGE_FLOOR,
            });
        }
        let after = duration::parse(text).map_err(|error| HedgeConfigError {
            key: "after",
            reason: format!(
                "{error}; `after` is a duration such as \"50ms\" or a quantile such as \"p95\""
            ),
        })?;
        check_at_most_an_hour("after", after)?;
        Ok(HedgeDelay::Fixed(after))
    }

    /// The same quantile with another `floor`.
    ///
    /// # Errors
    /// [`HedgeConfigError`] when this is a fixed delay (a floor only bounds a quantile), or
    /// `floor` is above an hour.
    pub fn with_floor(self, floor: Duration) -> Result<HedgeDelay, HedgeConfigError> {
        match self {
            HedgeDelay::Fixed(_) => Err(HedgeConfigError {
                key: "floor",
                reason: "`floor` bounds a quantile `after` (such as `after = \"p95\"`); with a fixed `after`, remove `floor`".to_owned(),
            }),
            HedgeDelay::Quantile { per_mille, .. } => {
                check_at_most_an_hour("floor", floor)?;
                Ok(HedgeDelay::Quantile { per_mille, floor })
            }
        }
    }

    /// The quantile's name (`"p95"`, `"p99.9"`), or the fixed delay's (`"50ms"`).
    pub fn describe(&self) -> String {
        match self {
            HedgeDelay::Fixed(after) => duration::describe(*after),
            HedgeDelay::Quantile { per_mille, .. } if per_mille % 10 == 0 => {
                format!("p{}", per_mille / 10)
            }
            HedgeDelay::Quantile { per_mille, .. } => {
                format!("p{}.{}", per_mille / 10, per_mille % 10)
            }
        }
    }
}

/// `95` as 950, `99.9` as 999; `None` outside 50 to 99.9 or with more than one decimal.
fn parse_per_mille(text: &str) -> Option<u16> {
    let (whole, tenths) = match text.split_once('.') {
        Some((whole, tenth)) if tenth.len() == 1 => (whole, tenth),
        Some(_) => return None,
        None => (text, "0"),
    };
    if whole.is_empty() || whole.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !tenths.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let per_mille = whole.parse::<u16>().ok()? * 10 + tenths.parse::<u16>().ok()?;
    (500..=999).contains(&per_mille).then_some(per_mille)
}

fn check_at_most_an_hour(key: &'static str, value: Duration) -> Result<(), HedgeConfigError> {
    if value > MAX_HEDGE_AFTER {
        return Err(HedgeConfigError {
            key,
            reason: too_long(key, value),
        });
    }
    Ok(())
}

fn too_long(key: &str, value: Duration) -> String {
    format!(
        "`{key}` is {}; a hedge waits at most an hour (`{key} = \"1h\"`)",
        duration::describe(value)
    )
}

/// A hedge: when the next attempt starts, and how many extra attempts one call may start.
///
/// ```
/// use std::time::Duration;
/// # use retry_settings as retry_runtime;
/// use retry_runtime::{HedgeConfig, HedgeDelay};
///
/// let config = HedgeConfig::new(HedgeDelay::Fixed(Duration::from_millis(50)), 2)?;
/// assert_eq!(config.max_hedges(), 2);
/// assert!(HedgeConfig::new(HedgeDelay::Fixed(Duration::ZERO), 11).is_err());
/// # Ok::<(), retry_runtime::HedgeConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HedgeConfig {
    after: HedgeDelay,
    max_hedges: u32,
}

impl HedgeConfig {
    /// Starts up to `max_hedges` extra attempts, each `after` the previous one.
    ///
    /// # Errors
    /// [`HedgeConfigError`] unless `max_hedges` is from 1 to [`MAX_HEDGES`], every delay is
    /// at most [`MAX_HEDGE_AFTER`], and a quantile is from p50 to p99.9.
    pub fn new(after: HedgeDelay, max_hedges: u32) -> Result<HedgeConfig, HedgeConfigError> {
        let Some(key) = Self::invalid_key(after, max_hedges) else {
            return Ok(HedgeConfig { after, max_hedges });
        };
        let reason = match (key, after) {
            ("max_hedges", _) => format!(
                "`max_hedges` is {max_hedges}; it must be a whole number from 1 to {MAX_HEDGES}"
            ),
            (_, HedgeDelay::Fixed(value) | HedgeDelay::Quantile { floor: value, .. })
                if value > MAX_HEDGE_AFTER =>
            {
                too_long(key, value)
            }
            (_, delay) => format!(
                "`{}` is not a quantile from p50 to p99.9; write `after = \"p95\"` or a duration such as `after = \"50ms\"`",
                delay.describe()
            ),
        };
        Err(HedgeConfigError { key, reason })
    }

    /// [`new`](Self::new) for constants: an invalid value fails the build.
    ///
    /// # Panics
    /// When a value is out of range (at compile time, in a `const`).
    pub const fn new_const(after: HedgeDelay, max_hedges: u32) -> HedgeConfig {
        assert!(
            Self::invalid_key(after, max_hedges).is_none(),
            "invalid hedge: `max_hedges` must be from 1 to 10, and `after` a delay of at most an hour or a quantile from p50 to p99.9"
        );
        HedgeConfig { after, max_hedges }
    }

    /// The first key out of range, if any.
    const fn invalid_key(after: HedgeDelay, max_hedges: u32) -> Option<&'static str> {
        if max_hedges == 0 || max_hedges > MAX_HEDGES {
            return Some("max_hedges");
        }
        let (longest, key) = match after {
            HedgeDelay::Fixed(after) => (after, "after"),
            HedgeDelay::Quantile { per_mille, floor } => {
                if per_mille < 500 || per_mille > 999 {
                    return Some("after");
                }
                (floor, "floor")
            }
        };
        if longest.as_nanos() > MAX_HEDGE_AFTER.as_nanos() {
            return Some(key);
        }
        None
    }

    /// When the next attempt starts.
    pub const fn after(&self) -> HedgeDelay {
        self.after
    }

    /// The most extra attempts one call starts.
    pub const fn max_hedges(&self) -> u32 {
        self.max_hedges
    }
}

/// An invalid hedge setting: which key, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HedgeConfigError {
    key: &'static str,
    reason: String,
}

impl HedgeConfigError {
    /// The key at fault: `after`, `floor` or `max_hedges`.
    pub fn key(&self) -> &'static str {
        self.key
    }
}

impl fmt::Display for HedgeConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl Error for HedgeConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quantiles_and_durations() {
        assert_eq!(
            HedgeDelay::parse("p95").unwrap(),
            HedgeDelay::Quantile {
                per_mille: 950,
                floor: DEFAULT_HEDGE_FLOOR
            }
        );
        assert_eq!(
            HedgeDelay::parse("p50").unwrap().describe(),
            "p50".to_owned()
        );
        assert_eq!(HedgeDelay::parse("p99.9").unwrap().describe(), "p99.9");
        assert_eq!(
            HedgeDelay::parse("0ms").unwrap(),
            HedgeDelay::Fixed(Duration::ZERO)
        );
        for bad in [
            "p", "p49", "p100", "p99.99", "p9x", "p.5", "p95.", "px", "p-1",
        ] {
            let error = HedgeDelay::parse(bad).unwrap_err();
            assert_eq!(error.key(), "after", "{bad}");
            assert!(error.to_string().contains("p50 to p99.9"), "{bad}: {error}");
        }
        let error = HedgeDelay::parse("2h").unwrap_err();
        assert!(error.to_string().contains("at most an hour"), "{error}");
        assert!(HedgeDelay::parse("fast").is_err());
    }

    #[test]
    fn a_floor_only_bounds_a_quantile() {
        let fixed = HedgeDelay::parse("5ms").unwrap();
        assert_eq!(fixed.with_floor(Duration::ZERO).unwrap_err().key(), "floor");
        let quantile = HedgeDelay::parse("p99").unwrap();
        assert_eq!(
            quantile.with_floor(Duration::from_millis(3)).unwrap(),
            HedgeDelay::Quantile {
                per_mille: 990,
                floor: Duration::from_millis(3)
            }
        );
        assert!(quantile.with_floor(Duration::from_secs(3601)).is_err());
    }

    #[test]
    fn bounds_max_hedges() {
        let after = HedgeDelay::Fixed(Duration::from_millis(1));
        assert!(HedgeConfig::new(after, 0).is_err());
        assert!(HedgeConfig::new(after, 1).is_ok());
        assert!(HedgeConfig::new(after, MAX_HEDGES).is_ok());
        let error = HedgeConfig::new(after, MAX_HEDGES + 1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`max_hedges` is 11; it must be a whole number from 1 to 10"
        );
        let too_long = HedgeDelay::Fixed(Duration::from_secs(3601));
        assert_eq!(HedgeConfig::new(too_long, 1).unwrap_err().key(), "after");
    }
}
