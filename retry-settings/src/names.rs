//! The names the attributes and configuration files give backoff and jitter kinds, each with the
//! value it stands for. Parsing a name, listing the valid ones in a message, and checking a
//! configuration value all read these two tables.

use crate::backoff::{Backoff, DEFAULT_FACTOR};
use crate::jitter::Jitter;

/// Every backoff that can be named, in the order messages list them. An exponential backoff
/// named without a factor gets [`DEFAULT_FACTOR`]; a `factor` key changes it.
///
/// ```
/// use retry_settings::{BACKOFF_NAMES, Backoff};
///
/// let names: Vec<&str> = BACKOFF_NAMES.iter().map(|(name, _)| *name).collect();
/// assert_eq!(names, ["exponential", "linear", "fixed", "fibonacci"]);
/// assert!(matches!(BACKOFF_NAMES[1].1, Backoff::Linear));
/// ```
pub const BACKOFF_NAMES: &[(&str, Backoff)] = &[
    (
        "exponential",
        Backoff::Exponential {
            factor: DEFAULT_FACTOR,
        },
    ),
    ("linear", Backoff::Linear),
    ("fixed", Backoff::Fixed),
    ("fibonacci", Backoff::Fibonacci),
];

/// Every jitter kind, by name, in the order messages list them.
///
/// ```
/// use retry_settings::{JITTER_NAMES, Jitter};
///
/// assert_eq!(JITTER_NAMES[0], ("full", Jitter::Full));
/// assert_eq!(JITTER_NAMES.len(), 4);
/// ```
pub const JITTER_NAMES: &[(&str, Jitter)] = &[
    ("full", Jitter::Full),
    ("equal", Jitter::Equal),
    ("decorrelated", Jitter::Decorrelated),
    ("none", Jitter::None),
];

/// The backoff called `name` in [`BACKOFF_NAMES`], if one is.
///
/// ```
/// use retry_settings::{Backoff, backoff_named};
///
/// assert!(matches!(backoff_named("fibonacci"), Some(Backoff::Fibonacci)));
/// assert!(backoff_named("exponental").is_none());
/// ```
pub fn backoff_named(name: &str) -> Option<Backoff> {
    named(BACKOFF_NAMES, name)
}

/// The jitter kind called `name` in [`JITTER_NAMES`], if one is.
///
/// ```
/// use retry_settings::{Jitter, jitter_named};
///
/// assert_eq!(jitter_named("equal"), Some(Jitter::Equal));
/// assert_eq!(jitter_named("Full"), None);
/// ```
pub fn jitter_named(name: &str) -> Option<Jitter> {
    named(JITTER_NAMES, name)
}

fn named<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table
        .iter()
        .find(|(candidate, _)| *candidate == name)
        .map(|(_, value)| *value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_the_one_its_value_reports() {
        for (name, backoff) in BACKOFF_NAMES {
            assert_eq!(backoff.name(), *name);
        }
        for (name, jitter) in JITTER_NAMES {
            assert_eq!(jitter.name(), *name);
        }
    }
}
