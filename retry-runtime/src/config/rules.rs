//! How one value is checked: its type, and a lower and an upper bound. The bounds themselves are
//! the settings model's keys (`Count::of` and the like), or in `keys.rs` for the budget.

use std::time::Duration;

use retry_settings::Value as ModelValue;
use retry_settings::{HedgeDelay, Key, Kind, MAX_HEDGE_AFTER, duration};

use super::error::{QUOTE_LIMIT, quote, show_number};
use super::settings::Value;

/// A check of one value; the error is the reason, without the key.
pub(super) trait Rule {
    type Output;
    fn read(&self, value: &Value) -> Result<Self::Output, String>;
}

/// A whole number from `min` to `max`.
pub(super) struct Count {
    pub(super) min: u32,
    pub(super) max: u32,
    /// Said instead of the range when the value is below `min`.
    pub(super) below: Option<&'static str>,
}

impl Count {
    /// The bounds of a count key of the settings model.
    pub(super) const fn of<B>(key: &Key<B>) -> Count {
        match key.kind {
            Kind::Count { min, max, .. } => Count {
                min,
                max,
                below: None,
            },
            _ => panic!("not a count key"),
        }
    }
}

impl Rule for Count {
    type Output = u32;

    fn read(&self, value: &Value) -> Result<u32, String> {
        let Value::Integer(integer) = value else {
            return Err(format!(
                "expected a whole number, found {}",
                describe(value)
            ));
        };
        match u32::try_from(*integer) {
            Ok(count) if (self.min..=self.max).contains(&count) => Ok(count),
            _ => match self.below {
                Some(reason) if *integer < i128::from(self.min) => Err(reason.to_owned()),
                _ => Err(format!(
                    "{integer} is out of range: a whole number from {} to {}",
                    self.min, self.max
                )),
            },
        }
    }
}

/// A number from `min` to `max`; integers are taken as numbers.
pub(super) struct Number {
    pub(super) min: f64,
    /// Whether `min` itself is refused (a rate is above 0).
    pub(super) min_excluded: bool,
    pub(super) max: f64,
    /// Whether 0 is taken although it is below `min` (a share of nothing).
    pub(super) or_zero: bool,
    /// The rule, said when the value is below `min`.
    pub(super) below: &'static str,
    /// The rule, said when the value is above `max` or not a number.
    pub(super) above: &'static str,
}

impl Number {
    /// The bounds of a number key of the settings model, with what to say below and above them.
    pub(super) const fn of<B>(key: &Key<B>, below: &'static str, above: &'static str) -> Number {
        match key.kind {
            Kind::Number {
                min,
                min_excluded,
                max,
                ..
            } => Number {
                min,
                min_excluded,
                max,
                or_zero: false,
                below,
                above,
            },
            _ => panic!("not a number key"),
        }
    }
}

impl Rule for Number {
    type Output = f64;

    fn read(&self, value: &Value) -> Result<f64, String> {
        let number = match *value {
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(integer) => integer as f64,
            Value::Float(float) => float,
            ref other => return Err(format!("expected a number, found {}", describe(other))),
        };
        let above_min = if self.min_excluded {
            number > self.min
        } else {
            number >= self.min
        };
        let rule = if number.is_nan() || number > self.max {
            self.above
        } else if above_min || (self.or_zero && number == 0.0) {
            return Ok(number);
        } else {
            self.below
        };
        Err(format!("{} is out of range: {rule}", show_number(number)))
    }
}

/// A duration string, from zero (or one nanosecond) up to the most the runtime counts: `u64`
/// nanoseconds, about 584 years, which `retry_settings::duration::parse` already refuses beyond.
pub(super) struct Span {
    pub(super) zero: bool,
}

impl Span {
    /// The bounds of a duration key of the settings model.
    pub(super) const fn of<B>(key: &Key<B>) -> Span {
        match key.kind {
            Kind::Duration { zero, .. } => Span { zero },
            _ => panic!("not a duration key"),
        }
    }
}

impl Rule for Span {
    type Output = Duration;

    fn read(&self, value: &Value) -> Result<Duration, String> {
        let Value::Text(text) = value else {
            return Err(format!(
                "expected a duration string such as \"250ms\", found {}",
                describe(value)
            ));
        };
        match duration::parse(text) {
            Ok(duration) if duration.is_zero() && !self.zero => {
                Err("must be more than zero".to_owned())
            }
            Ok(duration) => Ok(duration),
            // The parser's reasons quote the text: only short ones are kept.
            Err(reason) if text.chars().count() <= QUOTE_LIMIT => Err(reason.to_string()),
            Err(_) => Err(format!(
                "{} is not a duration; write one like \"250ms\" or \"1m30s\" (units: ns, us, ms, s, m, h)",
                quote(text)
            )),
        }
    }
}

/// A duration string of at most an hour (the hedge's `floor`, chaos's `latency`).
pub(super) struct UpToAnHour {
    pub(super) key: &'static str,
    /// What lasts at most an hour: `a hedge waits`.
    pub(super) what: &'static str,
}

impl Rule for UpToAnHour {
    type Output = Duration;

    fn read(&self, value: &Value) -> Result<Duration, String> {
        match (Span { zero: true }).read(value)? {
            long if long > MAX_HEDGE_AFTER => Err(format!(
                "{} is more than an hour; {} at most an hour (`{} = \"1h\"`)",
                duration::describe(long),
                self.what,
                self.key
            )),
            duration => Ok(duration),
        }
    }
}

/// `true` or `false`; from the environment, the text `true` or `false` in any case.
pub(super) struct Flag;

impl Rule for Flag {
    type Output = bool;

    fn read(&self, value: &Value) -> Result<bool, String> {
        match value {
            Value::Boolean(flag) => Ok(*flag),
            Value::Text(text) if text.eq_ignore_ascii_case("true") => Ok(true),
            Value::Text(text) if text.eq_ignore_ascii_case("false") => Ok(false),
            other => Err(format!("expected true or false, found {}", describe(other))),
        }
    }
}
/// A duration string from `min` to `max` (a throttle's `window`).
pub(super) struct SpanWithin {
    pub(super) min: Duration,
    pub(super) max: Duration,
    /// The rule in words, said when the value is out of bounds.
    pub(super) rule: &'static str,
}

impl Rule for SpanWithin {
    type Output = Duration;

    fn read(&self, value: &Value) -> Result<Duration, String> {
        match (Span { zero: true }).read(value)? {
            duration if duration < self.min || duration > self.max => Err(format!(
                "{} is out of range: {}",
                duration::describe(duration),
                self.rule
            )),
            duration => Ok(duration),
        }
    }
}

/// The hedge's `after`: a duration of at most an hour, or a quantile from `"p50"` to `"p99.9"`.
pub(super) struct After;

impl Rule for After {
    type Output = HedgeDelay;

    fn read(&self, value: &Value) -> Result<HedgeDelay, String> {
        let Value::Text(text) = value else {
            return Err(format!(
                "expected a duration string such as \"50ms\" or a quantile such as \"p95\", found {}",
                describe(value)
            ));
        };
        match HedgeDelay::parse(text) {
            Ok(delay) => Ok(delay),
            // The parser's reasons quote the text: only short ones are kept.
            Err(error) if text.chars().count() <= QUOTE_LIMIT => Err(error.to_string()),
            Err(_) => Err(format!(
                "{} is neither a duration such as \"50ms\" nor a quantile such as \"p95\"",
                quote(text)
            )),
        }
    }
}

/// A whole number within a count's bounds, or a duration string of at least `min_duration`:
/// the breaker's `window`, counted (`window = 20`) or timed (`window = "10s"`).
pub(super) struct CountOrSpan {
    pub(super) count: Count,
    pub(super) min_duration: Duration,
}

impl CountOrSpan {
    /// The bounds of a count-or-duration key of the settings model.
    pub(super) const fn of<B>(key: &Key<B>) -> CountOrSpan {
        match key.kind {
            Kind::CountOrDuration {
                min,
                max,
                min_duration,
                ..
            } => CountOrSpan {
                count: Count {
                    min,
                    max,
                    below: None,
                },
                min_duration,
            },
            _ => panic!("not a count-or-duration key"),
        }
    }
}

impl Rule for CountOrSpan {
    type Output = ModelValue;

    fn read(&self, value: &Value) -> Result<ModelValue, String> {
        match value {
            Value::Integer(_) => self.count.read(value).map(ModelValue::Count),
            Value::Text(_) => match (Span { zero: true }).read(value)? {
                duration if duration < self.min_duration => Err(format!(
                    "a time-based window of {} is too short to split into its ten buckets; give at least {}, such as \"10s\"",
                    duration::describe(duration),
                    duration::describe(self.min_duration)
                )),
                duration => Ok(ModelValue::Duration(duration)),
            },
            other => Err(format!(
                "expected a whole number of calls (such as 20) or a duration string (such as \"10s\"), found {}",
                describe(other)
            )),
        }
    }
}

/// One of a few names.
pub(super) struct Choice<T: 'static> {
    /// What it chooses (`jitter`), for messages.
    pub(super) noun: &'static str,
    pub(super) options: &'static [(&'static str, T)],
}

impl<T: Copy> Rule for Choice<T> {
    type Output = T;

    fn read(&self, value: &Value) -> Result<T, String> {
        let Value::Text(text) = value else {
            return Err(format!("expected a string, found {}", describe(value)));
        };
        if let Some((_, option)) = self.options.iter().find(|(name, _)| name == text) {
            return Ok(*option);
        }
        let names: Vec<String> = self
            .options
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect();
        let (last, others) = names
            .split_last()
            .map_or(("", &[][..]), |(last, others)| (last.as_str(), others));
        Err(format!(
            "unknown {} {}; use {} or {last}",
            self.noun,
            quote(text),
            others.join(", ")
        ))
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Integer(integer) => format!("the number {integer}"),
        Value::Float(float) => format!("the number {}", show_number(*float)),
        Value::Text(text) => format!("the string {}", quote(text)),
        Value::Boolean(_) => "a boolean".to_owned(),
        Value::Other(kind) => (*kind).to_owned(),
    }
}
