//! What every source produces, whatever its format: groups of settings, one group per
//! `[section.name]` (or per section and name of `RETRY_RUNTIME__...` variables), each setting
//! with the label that errors name it by.

use super::error::ConfigError;
use super::rules::Rule;

/// One value, whatever the format.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Integer(i128),
    Float(f64),
    Text(String),
    Boolean(bool),
    /// Anything else, described for messages (`"an array"`).
    Other(&'static str),
}

/// The sections a document may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Section {
    Retry,
    Breaker,
    Budget,
    Bulkhead,
    RateLimit,
    Hedge,
    Chaos,
    Throttle,
    AdaptiveLimit,
}

impl Section {
    /// The section called `name` in files (in lower case).
    pub(super) fn named(name: &str) -> Option<Section> {
        [
            Section::Retry,
            Section::Breaker,
            Section::Budget,
            Section::Bulkhead,
            Section::RateLimit,
            Section::Hedge,
            Section::Chaos,
            Section::Throttle,
            Section::AdaptiveLimit,
        ]
        .into_iter()
        .find(|section| section.name() == name)
    }

    /// Its name in files.
    pub(super) const fn name(self) -> &'static str {
        match self {
            Section::Retry => "retry",
            Section::Breaker => "breaker",
            Section::Budget => "budget",
            Section::Bulkhead => "bulkhead",
            Section::RateLimit => "rate_limit",
            Section::Hedge => "hedge",
            Section::Chaos => "chaos",
            Section::Throttle => "throttle",
            Section::AdaptiveLimit => "adaptive_limit",
        }
    }

    pub(super) fn unknown(origin: &str, key: String) -> ConfigError {
        ConfigError::new(
            origin,
            key,
            "unknown section; the sections are `retry`, `breaker`, `budget`, `bulkhead`, `rate_limit`, `hedge`, `chaos`, `throttle` and `adaptive_limit`",
        )
    }
}

/// The name of a site, breaker or budget, as a source gives it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Name {
    /// From a file: matches that exact name.
    Exact(String),
    /// From a variable, in its [`environment_form`]: matches every name of that form.
    Environment(String),
}

impl Name {
    /// How [`unmatched`](super::unmatched) shows it, after its section.
    pub(super) fn as_written(&self) -> &str {
        match self {
            Name::Exact(name) | Name::Environment(name) => name,
        }
    }
}

/// A name as a variable can spell it: upper case, `_` for anything but ASCII letters and digits.
pub(super) fn environment_form(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The settings of one `[section.name]`.
#[derive(Debug)]
pub(super) struct Group {
    pub(super) section: Section,
    pub(super) name: Name,
    pub(super) settings: Vec<Setting>,
}

/// One `key = value`.
#[derive(Debug)]
pub(super) struct Setting {
    /// The key, in lower case.
    pub(super) key: String,
    pub(super) value: Value,
    /// What errors call it: `section.name.key`, or the variable's name.
    pub(super) label: String,
}

impl Setting {
    /// The value, checked by `rule`.
    pub(super) fn read<R: Rule>(&self, rule: &R, origin: &str) -> Result<R::Output, ConfigError> {
        rule.read(&self.value)
            .map_err(|reason| ConfigError::new(origin, self.label.clone(), reason))
    }

    /// This setting names a key that `earlier` already set.
    pub(super) fn duplicate_of(&self, earlier: &Setting, origin: &str) -> ConfigError {
        let reason = if earlier.label == self.label {
            "duplicate key; write each key once per section".to_owned()
        } else {
            format!(
                "duplicate key: `{}` sets it too (names compare in upper case, with `_` for anything but letters and digits)",
                earlier.label
            )
        };
        ConfigError::new(origin, self.label.clone(), reason)
    }

    /// This setting's key belongs to each site of `section` (`max_wait`), not to the named
    /// bulkhead or rate limiter, so no override can set it.
    pub(super) fn per_site(&self, section: &str, keys: &[&str], origin: &str) -> ConfigError {
        let shared = if section == "rate_limit" {
            "rate limiter"
        } else {
            section
        };
        ConfigError::new(
            origin,
            self.label.clone(),
            format!(
                "`{}` belongs to each site (`#[{section}({} = ...)]`), not to the named {}, so it cannot be overridden; {}",
                self.key,
                self.key,
                shared,
                keys_of(section, keys)
            ),
        )
    }

    /// This setting's key is none of `keys`, the keys of `section`.
    pub(super) fn unknown(&self, section: &str, keys: &[&str], origin: &str) -> ConfigError {
        let suggestion = closest(&self.key, keys)
            .map(|key| format!(" (did you mean `{key}`?)"))
            .unwrap_or_default();
        ConfigError::new(
            origin,
            self.label.clone(),
            format!("unknown key{suggestion}; {}", keys_of(section, keys)),
        )
    }
}

/// `the keys of `section` are a, b and c`, or `the key of `section` is a`.
fn keys_of(section: &str, keys: &[&str]) -> String {
    match keys.split_last() {
        Some((last, [])) => format!("the key of `{section}` is {last}"),
        Some((last, others)) => format!(
            "the keys of `{section}` are {} and {last}",
            others.join(", ")
        ),
        None => format!("`{section}` has no keys"),
    }
}

/// The key of `keys` within two edits of `key`, if one is.
fn closest<'k>(key: &str, keys: &[&'k str]) -> Option<&'k str> {
    if key.len() > 2 * super::error::QUOTE_LIMIT {
        return None;
    }
    keys.iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a != *b);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_key_within_two_edits() {
        let keys = ["max_attempts", "delay", "max_delay"];
        assert_eq!(closest("max_atempts", &keys), Some("max_attempts"));
        assert_eq!(closest("dealy", &keys), Some("delay"));
        assert_eq!(closest("timeout", &keys), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn environment_form_upper_cases_and_replaces_punctuation() {
        assert_eq!(environment_form("store.fetch-v2"), "STORE_FETCH_V2");
        assert_eq!(environment_form("café"), "CAF_");
    }
}
